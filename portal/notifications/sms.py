"""SMS: `sms_send` is the one place a text message leaves the portal, whatever the backend.

Choose the backend with settings.SMS_BACKEND: the console in development, locmem in tests (`outbox`, like
django.core.mail.outbox), Africa's Talking in production. Every message is stored as an SmsMessage first, so staff
can see what went, what failed and what the network delivered (delivery reports update the row). A gateway that is
down is logged and the row marked failed: it never turns into an error for the action that sent the message.
"""

import json
import logging
import re
import threading
import unicodedata
import warnings
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import MessageKind, SmsMessage, SmsStatus

logger = logging.getLogger("portal.sms")
outbox: list[tuple[str, str]] = []  # filled by LocmemSmsBackend, like django.core.mail.outbox

SMS_LENGTH = 160  # one SMS of GSM-7 septets; longer texts are cut, never split into a costlier multi-part message

# GSM 03.38: the default alphabet (one septet each) and the extension table (two septets each: ESC + char).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€")
# Characters phones and word processors put in text that GSM-7 lacks, and what they become.
_REPLACEMENTS = {
    "‘": "'",
    "’": "'",
    "‚": "'",
    "‛": "'",
    "′": "'",
    "`": "'",
    "´": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "‟": '"',
    "″": '"',
    "«": '"',
    "»": '"',
    "‐": "-",
    "‑": "-",
    "‒": "-",
    "–": "-",
    "—": "-",
    "―": "-",
    "−": "-",
    "…": "...",
    "•": "*",
    "·": ".",
    "×": "x",
    "\t": " ",
    "\u00a0": " ",  # no-break space
    "\u202f": " ",  # narrow no-break space (French/Swahili number formatting)
    "\u2009": " ",  # thin space
    "\u2007": " ",  # figure space
    "\u200b": "",  # zero-width space
    "\ufeff": "",
    "ç": "Ç",  # GSM-7 has only the capital
}
_SPACES = re.compile(r"[ ]{2,}")


def gsm_septets(text: str) -> int:
    """Length in GSM-7 septets: extension characters (€, [, ], {, }…) take two."""
    return sum(2 if char in GSM7_EXTENSION else 1 for char in text)


def gsm_normalise(text: str, *, limit: int = SMS_LENGTH) -> str:
    """`text` in the GSM-7 alphabet and at most `limit` septets (one SMS).

    Curly quotes, dashes, the ellipsis and odd spaces become their plain forms, accented letters GSM-7 lacks lose
    the accent (á → a), anything else (emoji, other scripts) is dropped. A text too long is cut and ends in "..."
    (the single-character ellipsis is not GSM-7). One character outside GSM-7 would make the whole message UCS-2,
    where an SMS holds only 70 characters.
    """
    out = []
    for char in str(text):
        char = _REPLACEMENTS.get(char, char)
        for piece in char:
            if piece in GSM7_BASIC or piece in GSM7_EXTENSION:
                out.append(piece)
                continue
            base = unicodedata.normalize("NFKD", piece)
            out.append("".join(c for c in base if c in GSM7_BASIC or c in GSM7_EXTENSION))
    result = _SPACES.sub(" ", "".join(out)).strip()
    if gsm_septets(result) <= limit:
        return result
    cut = []
    used = 0
    for char in result:
        size = gsm_septets(char)
        if used + size > limit - 3:
            break
        cut.append(char)
        used += size
    return "".join(cut).rstrip() + "..."


@dataclass(frozen=True)
class SmsResult:
    """What a gateway said about one message (a backend that says nothing means "sent")."""

    status: str = SmsStatus.SENT
    provider_message_id: str = ""
    provider_status: str = ""
    cost: str = ""
    failure_reason: str = ""


class ConsoleSmsBackend:
    def send(self, *, to: str, text: str) -> SmsResult | None:
        logger.info("SMS to %s: %s", to, text)
        print(f"SMS to {to}: {text}")  # noqa: T201 - the console backend's purpose
        return None


class LocmemSmsBackend:
    def send(self, *, to: str, text: str) -> SmsResult | None:
        outbox.append((to, text))
        return None


class SmsGatewayError(Exception):
    """The gateway could not be reached or refused the request as a whole."""


# Africa's Talking's per-recipient statusCode: 100 processed, 101 sent, 102 queued; 4xx/5xx refused.
_AT_ACCEPTED = {100, 101, 102}
_at_lock = threading.Lock()
_at_initialised_for: tuple[str, str] | None = None


def _africastalking_sms():
    """The SDK's SMS service, initialised once per process (again only if the credentials change)."""
    global _at_initialised_for  # noqa: PLW0603 - the SDK itself keeps its services in module globals
    import africastalking

    credentials = (settings.AFRICASTALKING_USERNAME, settings.AFRICASTALKING_API_KEY)
    with _at_lock:
        if _at_initialised_for != credentials or africastalking.SMS is None:
            with warnings.catch_warnings():  # "Sandbox is currently not available for the Whatsapp service"
                warnings.simplefilter("ignore", UserWarning)
                africastalking.initialize(*credentials)
            _at_initialised_for = credentials
        return africastalking.SMS


class AfricasTalkingSmsBackend:
    """Africa's Talking through its official SDK (`africastalking`): one message, one recipient per call.

    Settings: AFRICASTALKING_USERNAME ("sandbox" for their sandbox), AFRICASTALKING_API_KEY and, if the account has
    one, AFRICASTALKING_SENDER_ID (the alphanumeric sender or short code the message comes from).
    """

    timeout = (3.05, 10)

    def send(self, *, to: str, text: str) -> SmsResult:
        if not settings.AFRICASTALKING_API_KEY:
            raise SmsGatewayError("AFRICASTALKING_API_KEY is not set")
        service = _africastalking_sms()
        try:
            response = service.send(
                text, [to], sender_id=settings.AFRICASTALKING_SENDER_ID or None, timeout=self.timeout
            )
        except Exception as exc:  # requests' errors, the SDK's AfricasTalkingException (a non-2xx answer)
            raise SmsGatewayError(f"Africa's Talking: {exc}"[:300]) from exc
        return self.parse(response)

    @staticmethod
    def parse(response) -> SmsResult:
        """{"SMSMessageData": {"Message": "Sent to 1/1 Total Cost: KES 0.8000", "Recipients": [{"statusCode": 101,
        "number": "+254711…", "status": "Success", "cost": "KES 0.8000", "messageId": "ATXid_…"}]}}"""
        if isinstance(response, str):  # the SDK returns text when the content type is not exactly JSON
            try:
                response = json.loads(response)
            except ValueError as exc:
                raise SmsGatewayError(
                    f"Africa's Talking answered something that is not JSON: {response[:200]}"
                ) from exc
        data = (response or {}).get("SMSMessageData") or {}
        recipients = data.get("Recipients") or []
        if not recipients:
            # e.g. {"SMSMessageData": {"Message": "InvalidSenderId", "Recipients": []}}
            return SmsResult(status=SmsStatus.FAILED, failure_reason=str(data.get("Message") or "no recipients")[:300])
        first = recipients[0]
        try:
            code = int(first.get("statusCode"))
        except (TypeError, ValueError):
            code = 0
        accepted = code in _AT_ACCEPTED
        provider_status = str(first.get("status") or "")[:40]
        message_id = str(first.get("messageId") or "")
        if message_id == "None":  # what Africa's Talking puts for a recipient it refused
            message_id = ""
        return SmsResult(
            status=SmsStatus.SENT if accepted else SmsStatus.FAILED,
            provider_message_id=message_id[:100],
            provider_status=provider_status,
            cost=str(first.get("cost") or "")[:30],
            failure_reason="" if accepted else f"{provider_status or 'Refused'} ({code})"[:300],
        )


def sms_backend():
    return import_string(getattr(settings, "SMS_BACKEND", "portal.notifications.sms.ConsoleSmsBackend"))()


def sms_sent_last_hour(*, user) -> int:
    """Messages that left for this user in the last hour (failed ones included: they were tried)."""
    return SmsMessage.objects.filter(user=user, created_at__gte=timezone.now() - timedelta(hours=1)).count()


_PHONE = re.compile(r"^\+\d{7,15}$")


def sms_send(*, to: str, text: str, user=None, kind: str = MessageKind.GENERAL) -> SmsMessage | None:
    """Send one SMS now: GSM-7, at most 160 characters, stored as an SmsMessage with what the gateway said.

    Returns None when nothing was sent: no number or no text, or the member already got
    settings.SMS_MAX_PER_MEMBER_PER_HOUR messages in the last hour (logged and dropped: a loop or a flood of
    events must not run up the bill or the member's patience). A gateway error marks the row failed and is
    logged; it is never raised. Call it after commit (notify does) so a rolled-back action texts nobody.
    """
    to = (to or "").strip()
    body = gsm_normalise(text or "")
    if not to or not body:
        return None
    if user is not None:
        limit = int(getattr(settings, "SMS_MAX_PER_MEMBER_PER_HOUR", 10))
        if sms_sent_last_hour(user=user) >= limit:
            logger.warning("SMS to %s (%s) dropped: %s messages in the last hour already", to, kind, limit)
            return None
    message = SmsMessage.objects.create(user=user, to=to, text=body, kind=kind)
    if not _PHONE.match(to):
        return _finish(message, SmsResult(status=SmsStatus.FAILED, failure_reason="Not a phone number in +… form"))
    try:
        result = sms_backend().send(to=to, text=body)
    except Exception as exc:  # noqa: BLE001 - a gateway that is down must not fail the caller
        logger.exception("SMS %s to %s failed", message.pk, to)
        return _finish(message, SmsResult(status=SmsStatus.FAILED, failure_reason=str(exc)[:300] or type(exc).__name__))
    return _finish(message, result or SmsResult())


def _finish(message: SmsMessage, result: SmsResult) -> SmsMessage:
    message.status = result.status
    message.provider_message_id = result.provider_message_id
    message.provider_status = result.provider_status
    message.cost = result.cost
    message.failure_reason = result.failure_reason
    if result.status != SmsStatus.FAILED:
        message.sent_at = timezone.now()
    message.save(
        update_fields=["status", "provider_message_id", "provider_status", "cost", "failure_reason", "sent_at"]
    )
    if result.status == SmsStatus.FAILED:
        logger.warning("SMS %s to %s failed: %s", message.pk, message.to, result.failure_reason)
    return message


# Delivery report statuses (Africa's Talking): Success is delivered; Failed and Rejected are final failures;
# Sent, Submitted and Buffered mean still on the way.
_REPORT_STATUS = {
    "success": SmsStatus.DELIVERED,
    "failed": SmsStatus.FAILED,
    "rejected": SmsStatus.FAILED,
    "absentsubscriber": SmsStatus.FAILED,
    "expired": SmsStatus.FAILED,
    "sent": SmsStatus.SENT,
    "submitted": SmsStatus.SENT,
    "buffered": SmsStatus.SENT,
}
_FINAL = {SmsStatus.DELIVERED, SmsStatus.FAILED}


def sms_delivery_report(
    *, provider_message_id: str, status: str, failure_reason: str = "", network_code: str = "", retry_count=None
) -> SmsMessage | None:
    """Record a gateway's delivery report on the message it sent; None when no message has that id.

    Reports can arrive out of order and more than once: a final status (delivered, failed) is never replaced by
    an intermediate one (Buffered after Success).
    """
    provider_message_id = (provider_message_id or "").strip()[:100]
    if not provider_message_id:
        return None
    message = SmsMessage.objects.filter(provider_message_id=provider_message_id).first()
    if message is None:
        return None
    ours = _REPORT_STATUS.get((status or "").strip().lower())
    if ours is not None and not (message.status in _FINAL and ours not in _FINAL):
        message.status = ours
        message.provider_status = (status or "").strip()[:40]
    if ours == SmsStatus.FAILED or failure_reason:
        message.failure_reason = (failure_reason or status or "").strip()[:300]
    message.network_code = (network_code or "").strip()[:10]
    try:
        message.retry_count = max(0, min(int(retry_count), 32767)) if retry_count not in (None, "") else None
    except (TypeError, ValueError):
        message.retry_count = None
    message.delivery_reported_at = timezone.now()
    message.save(
        update_fields=[
            "status",
            "provider_status",
            "failure_reason",
            "network_code",
            "retry_count",
            "delivery_reported_at",
        ]
    )
    return message
