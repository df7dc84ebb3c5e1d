"""API tokens (JWT) tied to the account's state: one place that issues them, checks them and revokes them.

A refresh token is issued only after the second factor (portal/api/auth_views.VerifyOtpView) and carries two
claims besides the user id:

- `otp_device`: the django-otp device that proved the second factor. An OTP reset deletes the devices, so every
  token issued through them stops working at once (access tokens included, not only at refresh).
- `auth_hash`: Django's session auth hash (an HMAC of the password hash). A password change or reset changes it,
  which ends access tokens early, the same way Django ends the web sessions.

On top of that, every refresh token is recorded by simplejwt's blacklist app, and `user_tokens_revoke`
blacklists all of a user's outstanding refresh tokens. It runs on a password change or reset (any door: allauth,
the API reset, the Wagtail/Django user forms, through the User save signal in signals.py), when a login is
disabled, and on an OTP reset. Disabled users are refused by simplejwt's is_active check as well.
"""

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django_otp.models import Device

from .models import User

OTP_DEVICE_CLAIM = "otp_device"
AUTH_HASH_CLAIM = "auth_hash"
ISSUED_CLAIM = "issued"  # when the pair was issued after the second factor (seconds, with fractions); kept on rotation


class TokenRevoked(Exception):
    """The token was valid once but the account changed since (password, second factor, disabled)."""


def user_token_pair_issue(*, user: User, device: Device) -> dict[str, str]:
    """A fresh refresh/access pair after the password and `device` (the second factor) were both proved."""
    from rest_framework_simplejwt.tokens import RefreshToken

    refresh = RefreshToken.for_user(user)  # recorded as an OutstandingToken by the blacklist app
    refresh[OTP_DEVICE_CLAIM] = device.persistent_id
    refresh[AUTH_HASH_CLAIM] = user.get_session_auth_hash()
    refresh[ISSUED_CLAIM] = timezone.now().timestamp()
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def token_device_check(*, user: User, payload) -> Device:
    """The second-factor device a token was issued through, if the token still stands for the account as it is.

    Raises TokenRevoked when the login is disabled, the password changed, or the device is gone (OTP reset)."""
    if not user.is_active:
        raise TokenRevoked("This account is disabled.")
    revoked_at = cache.get(_revoked_key(user.pk))
    if revoked_at is not None and float(payload.get(ISSUED_CLAIM) or 0) < revoked_at:
        raise TokenRevoked("This token was revoked (the login was disabled or reset); sign in again.")
    auth_hash = payload.get(AUTH_HASH_CLAIM)
    if not auth_hash or not constant_time_compare(auth_hash, user.get_session_auth_hash()):
        raise TokenRevoked("The password changed since this token was issued; sign in again.")
    device = Device.from_persistent_id(str(payload.get(OTP_DEVICE_CLAIM) or ""))
    if device is None or device.user_id != user.pk or not device.confirmed:
        raise TokenRevoked("The second factor behind this token was reset; sign in again.")
    return device


@transaction.atomic
def user_tokens_revoke(*, user: User) -> int:
    """Blacklist every outstanding refresh token of `user`; returns how many were newly blacklisted.

    Idempotent: tokens already blacklisted (by rotation or an earlier revoke) are left as they are.

    Access tokens can't be blacklisted; a password change or OTP reset ends them through their claims, and the
    time of the revoke, kept in the shared cache for an access token's lifetime, ends the rest: a login disabled
    and enabled again within ten minutes does not bring its old access tokens back."""
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    lifetime = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]
    cache.set(_revoked_key(user.pk), timezone.now().timestamp(), int(lifetime.total_seconds()) + 60)

    pending = list(OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True))
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in pending], ignore_conflicts=True)
    return len(pending)


def _revoked_key(user_pk) -> str:
    return f"api-tokens-revoked:{user_pk}"


def tokens_flush_expired() -> None:
    """Prune expired refresh tokens from the blacklist app's tables (a daily django-q2 schedule runs it)."""
    from django.core.management import call_command

    call_command("flushexpiredtokens", verbosity=0)
