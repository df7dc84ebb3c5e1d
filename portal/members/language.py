"""A member's language follows the account, not only the phone.

The chooser posts to Django's `set_language`, which sets the language cookie; for a signed-in member the
middleware below also saves the choice on the account, and at every later request (another phone, a new
browser) the saved language wins over the cookie and the cookie is brought in line. A visitor who chose a
language before signing in keeps it: at sign-in it is saved on an account that has none yet.
"""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import translation

SUPPORTED = {code for code, _name in settings.LANGUAGES}


def _language_activate(request, language: str) -> None:
    translation.activate(language)
    request.LANGUAGE_CODE = language


@receiver(user_logged_in, dispatch_uid="members.language_at_sign_in")
def language_at_sign_in(sender, request, user, **kwargs):
    """Apply the account's language from the sign-in response on; save a language chosen before signing in."""
    if request is None or not hasattr(user, "language"):
        return
    if user.language in SUPPORTED:
        _language_activate(request, user.language)
        return
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen in SUPPORTED and chosen != translation.get_supported_language_variant(settings.LANGUAGE_CODE):
        user.language = chosen
        user.save(update_fields=["language"])


class MemberLanguageMiddleware:
    """After authentication: the signed-in user's saved language; a new choice (the cookie set by
    `set_language`) is saved on the account; the cookie follows the account to a new browser."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated and hasattr(user, "language")
        if signed_in and user.language in SUPPORTED:
            _language_activate(request, user.language)
        response = self.get_response(request)
        user = getattr(request, "user", None)  # sign-in and sign-out change it during the request
        if not (user is not None and user.is_authenticated and hasattr(user, "language")):
            return response
        cookie = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
        if cookie is not None and cookie.value in SUPPORTED:
            if cookie.value != user.language:  # the member chose just now
                user.language = cookie.value
                user.save(update_fields=["language"])
        elif user.language in SUPPORTED and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != user.language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                user.language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response
