"""SMS backends. Choose one with settings.SMS_BACKEND; a gateway (Africa's Talking, Twilio…) is one more class."""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("portal.sms")
outbox: list[tuple[str, str]] = []  # filled by LocmemSmsBackend, like django.core.mail.outbox


class ConsoleSmsBackend:
    def send(self, *, to: str, text: str) -> None:
        logger.info("SMS to %s: %s", to, text)
        print(f"SMS to {to}: {text}")  # noqa: T201 - the console backend's purpose


class LocmemSmsBackend:
    def send(self, *, to: str, text: str) -> None:
        outbox.append((to, text))


def sms_backend():
    return import_string(getattr(settings, "SMS_BACKEND", "portal.notifications.sms.ConsoleSmsBackend"))()
