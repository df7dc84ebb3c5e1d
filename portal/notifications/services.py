"""`notify`: the one way the portal tells a person something (email, inbox, SMS).

Email and SMS leave only after the surrounding transaction commits, so a rolled-back action never emails. A
mail or SMS server that is down is logged, never turned into an error for an action that has already committed.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import CHOOSABLE_KINDS, Channel, MessageKind, MessagePreference, Notification
from .selectors import member_phone, message_channel, message_preferences
from .sms import sms_send


def notify(
    *,
    subject: str,
    template: str,
    context: dict,
    user=None,
    email: str | None = None,
    phone: str | None = None,
    link: str = "",
    inbox: bool = True,
    kind: str = MessageKind.GENERAL,
    sms_text: str | None = None,
) -> Notification | None:
    """Send `templates/email/<template>.txt` (and .html if present) to a user or an address, and `sms_text` by SMS.

    Records an inbox Notification when there is a user and `inbox` is true (whatever the channel). The user's
    channel for `kind` (MessagePreference, else the default) decides email and/or SMS: the SMS goes to the member's
    phone when the channel includes SMS and `sms_text` is given (render it in the member's language:
    `translation.override(user.language)`); `sms_send` makes it GSM-7, cuts it to 160 characters and rate-limits it.
    When the channel is SMS only but no SMS can go (no phone, no sms_text), the email goes instead, so the member
    still hears. `phone` texts that number whatever the channel (`sms_text`, else "subject. link"), as before.
    """
    to = email or (user.email if user else None)
    if not to:
        raise ValueError("notify needs a user or an email address")
    channel = message_channel(user=user, kind=kind) if user is not None else Channel.EMAIL
    sms_to = phone or ""
    if not sms_to and sms_text and channel in (Channel.SMS, Channel.BOTH) and user is not None:
        sms_to = member_phone(user=user)
    send_email = channel in (Channel.EMAIL, Channel.BOTH) or not sms_to
    # In the member's own language (the account's choice), whatever the language of the request that sent it; a
    # subject given lazily (gettext_lazy) is translated here too.
    with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
        subject = str(subject)
        context = {**context, "subject": subject, "link": link}
        text = render_to_string(f"email/{template}.txt", context)
        try:
            html = render_to_string(f"email/{template}.html", context)
        except Exception:  # noqa: BLE001 - the HTML part is optional
            html = None
        sms_body = str(sms_text) if sms_text else f"{subject}. {link}".strip()

    def _send_email():
        message = EmailMultiAlternatives(
            subject=f"{settings.EMAIL_SUBJECT_PREFIX}{subject}", body=text, from_email=None, to=[to]
        )
        if html:
            message.attach_alternative(html, "text/html")
        message.send()

    def _send_sms():
        sms_send(to=sms_to, text=sms_body, user=user, kind=kind)

    # Separate callbacks: a mail server that is down does not stop the SMS, nor the other way round.
    if send_email:
        transaction.on_commit(_send_email, robust=True)
    if sms_to:
        transaction.on_commit(_send_sms, robust=True)
    if user is not None and inbox:
        return Notification.objects.create(user=user, subject=subject, body=text, link=link)
    return None


def message_preferences_set(*, user, preferences: dict) -> dict[str, str]:
    """Save the member's channel per kind ({"payment_received": "sms", …}); returns all their channels.

    Kinds left out keep their current channel. An unknown kind or channel is a ValidationError naming it, and
    nothing is saved.
    """
    errors = {}
    for kind, channel in preferences.items():
        if kind not in CHOOSABLE_KINDS:
            errors[str(kind)] = ["Not a kind of message you can choose a channel for."]
        elif channel not in Channel.values:
            errors[str(kind)] = [f"Choose one of: {', '.join(Channel.values)}."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for kind, channel in preferences.items():
            MessagePreference.objects.update_or_create(user=user, kind=kind, defaults={"channel": channel})
    return message_preferences(user=user)


def notifications_mark_read(*, user, ids=None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(id__in=ids)
    return qs.update(read_at=timezone.now())
