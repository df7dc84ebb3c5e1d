"""How the API knows who is calling: a JWT issued after the second factor, or a web session that passed it.

The web asks for the second factor wherever `otp_required_for(user)` (staff always, members once enrolled;
portal/members/middleware.py). The API asks in the same places:

- `VerifiedSessionAuthentication`: a session cookie counts only once the session has passed the second factor.
  A password-only session (signed in at /accounts/login/, code never typed) is refused with 401, never
  treated as anonymous, so the client learns why.
- `VerifiedJWTAuthentication`: JWTs are issued only after the code (auth_views.VerifyOtpView); the token must
  still match the account (portal/members/tokens.py): login enabled, same password, device not reset. The user
  is marked verified with that device, so code that asks `request.user.is_verified()` gets the same answer
  for both doors.

Their OpenAPI security schemes (jwtAuth, cookieAuth) are declared in portal/api/schema.py.
"""

from functools import partial

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import translation
from django_otp.middleware import is_verified
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken

from portal.members.language import SUPPORTED
from portal.members.otp import otp_required_for
from portal.members.tokens import TokenRevoked, token_device_check

UNVERIFIED_SESSION = (
    "This session has not passed the second factor. Enter your code at /accounts/otp/verify/, "
    "or sign in to the API with /api/auth/otp-login/ and /api/auth/verify-otp/."
)


class VerifiedSessionAuthentication(SessionAuthentication):
    """Session authentication that refuses a session the web would still send to the second-factor page."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        verified = getattr(user, "is_verified", None)
        if not (callable(verified) and verified()) and otp_required_for(user):  # the cheap test first
            raise exceptions.AuthenticationFailed(UNVERIFIED_SESSION, code="second_factor_required")
        return result


class VerifiedJWTAuthentication(JWTAuthentication):
    """simplejwt's Bearer authentication, plus: the token still stands for the account (tokens.py)."""

    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        try:
            device = token_device_check(user=user, payload=validated_token)
        except TokenRevoked as exc:
            raise exceptions.AuthenticationFailed(str(exc), code="token_revoked") from exc
        user.otp_device = device
        user.is_verified = partial(is_verified, user)
        if getattr(user, "language", "") in SUPPORTED:  # as MemberLanguageMiddleware does for a session
            translation.activate(user.language)
        return user


class CheckedTokenRefreshSerializer(TokenRefreshSerializer):
    """Refresh (with rotation and blacklisting) only for a token that still stands for the account.

    The token's OutstandingToken row is locked while it is checked and blacklisted, so the same refresh token
    sent twice at once rotates once: the second request waits, then finds it blacklisted."""

    def validate(self, attrs):
        # Kept here: this module is named in REST_FRAMEWORK's settings and may be imported before the app registry
        # is ready, when a model cannot be imported yet.
        from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

        refresh = RefreshToken(attrs["refresh"])  # checks signature, expiry and the blacklist
        user_id = refresh.get(api_settings.USER_ID_CLAIM)
        user = get_user_model().objects.filter(**{api_settings.USER_ID_FIELD: user_id}).first()
        if user is None:
            raise InvalidToken("No active account found for the given token.")
        try:
            token_device_check(user=user, payload=refresh)
        except TokenRevoked as exc:
            raise InvalidToken(str(exc)) from exc
        with transaction.atomic():
            jti = refresh[api_settings.JTI_CLAIM]
            list(OutstandingToken.objects.select_for_update().filter(jti=jti).order_by().values_list("pk"))
            return super().validate(attrs)  # reads the token again, now under the lock
