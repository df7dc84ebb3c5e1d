"""`notify`: the one way the portal tells a person something (email, inbox, SMS).

Email and SMS leave only after the surrounding transaction commits, so a rolled-back action never emails. A
mail or SMS server that is down is logged, never turned into an error for an action that has already committed.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import Notification
from .sms import sms_backend


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
) -> Notification | None:
    """Send `templates/email/<template>.txt` (and .html if present) to a user or an address.

    Records an inbox Notification when there is a user and `inbox` is true; texts `phone` when given.
    """
    to = email or (user.email if user else None)
    if not to:
        raise ValueError("notify needs a user or an email address")
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

    def _send():
        message = EmailMultiAlternatives(
            subject=f"{settings.EMAIL_SUBJECT_PREFIX}{subject}", body=text, from_email=None, to=[to]
        )
        if html:
            message.attach_alternative(html, "text/html")
        message.send()
        if phone:
            sms_backend().send(to=phone, text=f"{subject}. {link}".strip())

    transaction.on_commit(_send, robust=True)
    if user is not None and inbox:
        return Notification.objects.create(user=user, subject=subject, body=text, link=link)
    return None


def notifications_mark_read(*, user, ids=None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(id__in=ids)
    return qs.update(read_at=timezone.now())
