"""Password reset for API clients (M4): an emailed single-use token, plus the second factor when the account
has an authenticator app. The web flow is allauth's emailed link; the second factor is then asked at sign-in."""

import logging

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.notifications.services import notify

from .activity import activity_record
from .models import ActivityAction, User
from .otp import otp_verify

logger = logging.getLogger(__name__)


def password_reset_request(*, email: str, request=None) -> None:
    """Email a reset token if the address has an active account. Answers the same either way."""
    user = User.objects.filter(email__iexact=(email or "").strip(), is_active=True).first()
    if user is None:
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = f"{uid}-{default_token_generator.make_token(user)}"
    try:
        notify(
            user=user,
            subject="Reset your password",
            template="password_reset_api",
            context={"token": token, "user": user},
            inbox=False,
        )
    except OSError as exc:  # mail server down: the same answer (no 500, and no hint that the address exists)
        logger.warning("Password reset email to user %s failed: %s", user.pk, exc)


@transaction.atomic
def password_reset_complete(*, token: str, new_password: str, otp_code: str = "", request=None) -> User:
    """Set a new password from an emailed token; accounts with an app must also give its current code."""
    uid, _, key = (token or "").partition("-")
    try:
        user = User.objects.select_for_update().get(pk=force_str(urlsafe_base64_decode(uid)), is_active=True)
    except (User.DoesNotExist, ValueError, TypeError, ValidationError):
        raise ValidationError({"token": ["This reset token is not valid or has expired."]}) from None
    if not default_token_generator.check_token(user, key):
        raise ValidationError({"token": ["This reset token is not valid or has expired."]})
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        if not otp_code or otp_verify(user=user, token=otp_code, request=request) is None:
            raise ValidationError({"otp_code": ["Give the current code from your authenticator app."]})
    try:
        validate_password(new_password, user=user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    activity_record(action=ActivityAction.PASSWORD_RESET, request=request, user=user, detail={"via": "api"})
    return user
