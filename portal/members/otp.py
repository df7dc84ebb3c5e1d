"""Second factor (M2, M11) on django-otp: TOTP apps, emailed codes and backup codes.

One OTP engine only: every secret lives in django-otp's device tables. The session remembers when the user last
proved the second factor, so sensitive actions can ask for a fresh code.
"""

import logging
import secrets
import smtplib
import time

from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp import devices_for_user, match_token, user_has_device
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.audit.services import ACTION, audit_log
from portal.notifications.models import SmsCodeNotSent, SmsDevice

from .activity import activity_record
from .models import ActivityAction, User
from .tokens import user_tokens_revoke

logger = logging.getLogger(__name__)

FRESH_SESSION_KEY = "otp_verified_at"
FRESH_FOR_SECONDS = 5 * 60
BACKUP_CODES = 10


def otp_required_for(user: User) -> bool:
    """Staff must always pass a second factor; members once they have enrolled a device."""
    return bool(user.is_staff or user_has_device(user, confirmed=True))


def otp_devices(user: User) -> list:
    return list(devices_for_user(user, confirmed=True))


def otp_totp_pending(*, user: User) -> TOTPDevice:
    """The user's unconfirmed authenticator-app device, created on first visit to the enrolment page."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def otp_totp_qr_svg(device: TOTPDevice) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


@transaction.atomic
def otp_totp_confirm(*, user: User, token: str, request=None) -> list[str] | None:
    """Confirm the pending TOTP device with a code from the app. Returns new backup codes, or None if wrong."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token(token.strip()):
        activity_record(action=ActivityAction.OTP_FAILED, request=request, user=user, detail={"step": "enrol"})
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    activity_record(action=ActivityAction.OTP_ENROLLED, request=request, user=user, detail={"device": "totp"})
    return otp_backup_codes_regenerate(user=user)


@transaction.atomic
def otp_email_enrol(*, user: User, request=None) -> EmailDevice:
    """Emailed codes as the second factor (for members without a smartphone app)."""
    device, _ = EmailDevice.objects.get_or_create(user=user, name="Email", defaults={"confirmed": True})
    if not device.confirmed:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    activity_record(action=ActivityAction.OTP_ENROLLED, request=request, user=user, detail={"device": "email"})
    return device


@transaction.atomic
def otp_sms_enrol(*, user: User, request=None) -> SmsDevice:
    """Codes by SMS to the member's mobile number as the second factor (issue 15). Refused, naming the field,
    without a number on the profile."""
    number = getattr(getattr(user, "member", None), "phone_number", "") or ""
    if not number:
        raise ValidationError({"phone_number": ["Add your mobile number on your profile first."]})
    device, _ = SmsDevice.objects.get_or_create(user=user, name="SMS", defaults={"number": number, "confirmed": True})
    if device.number != number or not device.confirmed:
        device.number, device.confirmed = number, True
        device.save(update_fields=["number", "confirmed"])
    activity_record(action=ActivityAction.OTP_ENROLLED, request=request, user=user, detail={"device": "sms"})
    return device


def otp_sms_challenge(*, user: User) -> bool:
    """Text a code to the user's SMS device, if they have one. Returns whether they have one.

    Raises OtpDeliveryError when the SMS could not leave (the gateway failed, or the hourly SMS limit)."""
    device = SmsDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return False
    try:
        device.generate_challenge()
    except SmsCodeNotSent as exc:
        logger.warning("Sign-in code SMS to user %s failed: %s", user.pk, exc)
        raise OtpSmsDeliveryError() from exc
    return True


@transaction.atomic
def otp_backup_codes_regenerate(*, user: User) -> list[str]:
    """Ten single-use backup codes; the old ones stop working. Shown once, stored by django-otp."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Backup codes", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [f"{secrets.randbelow(10**8):08d}" for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


class OtpDeliveryError(Exception):
    """The emailed code could not be sent (the mail server is down or refuses). Views answer 503, not 500."""

    message = (
        "We could not send the email with your code just now. Try again in a few minutes, "
        "or use your authenticator app or one of your backup codes."
    )

    def __str__(self):
        return self.message


class OtpSmsDeliveryError(OtpDeliveryError):
    """The texted code could not be sent."""

    message = "We could not text you a code just now. Try again in a few minutes, or use one of your backup codes."


def otp_email_challenge(*, user: User) -> bool:
    """Email a code to the user's email device, if they have one. Returns whether a code was sent.

    Raises OtpDeliveryError when the mail server fails (smtplib errors are OSErrors, as are refused
    connections and timeouts)."""
    device = EmailDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return False
    try:
        device.generate_challenge()
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("Sign-in code email to user %s failed: %s", user.pk, exc)
        raise OtpDeliveryError() from exc
    return True


def otp_verify(*, user: User, token: str, request=None):
    """The device that accepts `token` (TOTP, emailed or backup code), or None. Logs either way."""
    device = match_token(user, (token or "").strip().replace(" ", ""))
    if device is None:
        activity_record(action=ActivityAction.OTP_FAILED, request=request, user=user)
        return None
    activity_record(
        action=ActivityAction.OTP_VERIFIED, request=request, user=user, detail={"device": device.__class__.__name__}
    )
    return device


def otp_mark_fresh(request) -> None:
    request.session[FRESH_SESSION_KEY] = int(time.time())


def otp_is_fresh(request, *, seconds: int = FRESH_FOR_SECONDS) -> bool:
    """True when the second factor was proved within `seconds` (sensitive actions ask again otherwise)."""
    verified_at = request.session.get(FRESH_SESSION_KEY)
    return bool(verified_at and time.time() - verified_at <= seconds)


@transaction.atomic
def otp_devices_reset(*, user: User, by: User | None, request=None) -> int:
    """Staff reset (M11): remove every device and revoke the API tokens; the person enrols again at next sign-in."""
    removed = 0
    for model in (TOTPDevice, EmailDevice, SmsDevice, StaticDevice):
        removed += model.objects.filter(user=user).delete()[0]
    user_tokens_revoke(user=user)  # API tokens were issued through those devices
    activity_record(action=ActivityAction.OTP_RESET, request=request, user=user, actor=by)
    audit_log(instance=user, action=ACTION, by=by, summary=f"Second factor reset ({removed} devices removed)")
    return removed
