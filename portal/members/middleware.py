"""Second-factor gate: after a password sign-in, staff and enrolled members must pass OTP before going on."""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from .otp import otp_required_for

GUARDED_PREFIXES = ("/portal/", "/admin/", "/accounts/")
OPEN_PREFIXES = (
    "/accounts/otp/",
    "/accounts/logout/",
    "/accounts/login/",
    "/accounts/password/reset/",
    "/accounts/invitation/",
)


class SecondFactorMiddleware:
    """Sends a signed-in but unverified user to verify (or, for staff without a device, to enrol)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        path = request.path
        if (
            user is not None
            and user.is_authenticated
            and path.startswith(GUARDED_PREFIXES)
            and not path.startswith(OPEN_PREFIXES)
            and not user.is_verified()
            and otp_required_for(user)
        ):
            from django_otp import user_has_device

            target = "otp_verify" if user_has_device(user, confirmed=True) else "otp_setup"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
