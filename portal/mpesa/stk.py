"""STK push ("Lipa na M-Pesa online", issue 15): a member asks the portal to send a payment request to a phone,
Daraja answers later at our callback, and the money posts through receipts.mpesa_receipt_post under the M-Pesa
receipt number, once. A push whose callback never comes is asked about (STK push query) by a django-q2 job.

    stk_push_start      validate, record the push pending, ask Daraja (outside any transaction)
    stk_callback        the view: token and source checked, raw body stored FIRST, processed in a q2 task
    stk_callback_process / stk_settle   apply Daraja's result once: paid → post; cancelled/failed → status only
    stk_pushes_query    the scheduled job for pushes pending longer than MPESA_STK_QUERY_AFTER_SECONDS
"""

import datetime
import json
import logging
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django_q.tasks import async_task

from portal.members.models import Member, MemberStatus
from portal.members.phone import phone_clean
from portal.society.money import InvalidAmount, parse_amount

from .callbacks import callback_processed, callback_source_ok, callback_store, callback_token_ok
from .daraja import NAIROBI, DarajaClient, DarajaError
from .models import CallbackKind, MpesaCallback, ReceiptChannel, StkPush, StkStatus
from .receipts import Purpose, mpesa_receipt_post

logger = logging.getLogger(__name__)

MIN_AMOUNT = Decimal("1")
MAX_AMOUNT = Decimal("250000")  # Daraja's limit for one STK push (KES 250,000)
MAX_PENDING_PER_MEMBER = 3
PENDING_WINDOW = datetime.timedelta(minutes=10)  # older pending pushes no longer count against the member's limit
GIVE_UP_AFTER = datetime.timedelta(hours=24)  # a push Daraja still calls "being processed" after this is failed
RESULT_CANCELLED = 1032
STILL_PROCESSING = "500.001.1001"
ACCEPTED = {"ResultCode": 0, "ResultDesc": "Accepted"}


class StkPushRefused(ValidationError):
    """The push was not started (too many pending). Nothing was sent to the phone."""


def account_reference(member: Member, purpose: str) -> str:
    """What the member's M-Pesa message shows as the account: the membership number without hyphens and leading
    zeros ("MB-202403-00012" → "MB20240312"), then L or S as the paybill's references take them. Daraja allows 12
    characters, so the compact form is used; receipts.reference_parse reads it back."""
    number = member.membership_number.replace("-", "").upper()
    if number.startswith("MB") and len(number) > 8 and number[2:].isdigit():
        number = f"MB{number[2:8]}{int(number[8:])}"
    suffix = {Purpose.LOAN_REPAYMENT: "L", Purpose.SHARE_CAPITAL: "S"}.get(purpose, "")
    return f"{number}{suffix}"


def callback_url() -> str:
    base = (settings.MPESA_CALLBACK_BASE_URL or "").rstrip("/")
    return base + reverse("mpesa:stk_callback", kwargs={"token": settings.MPESA_CALLBACK_TOKEN or "-"})


def _amount(raw) -> Decimal:
    try:
        amount = parse_amount(raw)
    except InvalidAmount as exc:
        raise ValidationError({"amount": [str(exc)]}) from exc
    if amount != amount.to_integral_value():
        raise ValidationError({"amount": [_("M-Pesa takes whole shillings only.")]})
    if not MIN_AMOUNT <= amount <= MAX_AMOUNT:
        raise ValidationError({"amount": [_("An M-Pesa payment is from KES 1 to KES 250,000.")]})
    return amount


def stk_push_start(*, member: Member, purpose: str, amount, phone: str) -> StkPush:
    """Send a payment request to `phone` for `amount` whole shillings towards `purpose`. Returns the push: pending
    (Daraja accepted; the result comes later) or failed (Daraja refused or could not be reached; the reason is in
    result_desc). Bad input is a ValidationError naming the field; too many pending pushes is StkPushRefused."""
    try:
        purpose = Purpose(purpose)
    except ValueError as exc:
        raise ValidationError({"purpose": [_("Choose what the payment is for.")]}) from exc
    amount = _amount(amount)
    phone = phone_clean(phone, field="phone")
    if not phone:
        raise ValidationError({"phone": [_("Enter the phone number to pay from.")]})
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        if locked.status == MemberStatus.EXITED:
            raise StkPushRefused(_("This membership has ended; payments are no longer taken through the portal."))
        pending = StkPush.objects.filter(
            member=locked, status=StkStatus.PENDING, created_at__gte=timezone.now() - PENDING_WINDOW
        ).count()
        if pending >= MAX_PENDING_PER_MEMBER:
            raise StkPushRefused(
                _("You have %(count)s payments waiting for confirmation on your phone. Finish or cancel them first.")
                % {"count": pending}
            )
        push = StkPush.objects.create(
            member=locked,
            phone=phone,
            amount=amount,
            purpose=purpose,
            account_reference=account_reference(locked, purpose),
        )
    try:
        answer = DarajaClient().stk_push(
            phone=phone,
            amount=amount,
            account_reference=push.account_reference,
            description=str(Purpose(purpose).label)[:13],
            callback_url=callback_url(),
        )
    except DarajaError as exc:
        logger.warning("STK push %s not started: %s", push.pk, exc)
        _fail_unstarted(push, code=exc.code, desc=_("M-Pesa could not be reached. Nothing was charged; try again."))
        return push
    if str(answer.get("ResponseCode")) != "0" or not answer.get("CheckoutRequestID"):
        _fail_unstarted(push, code=str(answer.get("ResponseCode", "")), desc=str(answer.get("ResponseDescription", "")))
        return push
    StkPush.objects.filter(pk=push.pk, checkout_request_id__isnull=True).update(
        checkout_request_id=str(answer["CheckoutRequestID"])[:64],
        merchant_request_id=str(answer.get("MerchantRequestID", ""))[:64],
        updated_at=timezone.now(),
    )
    push.refresh_from_db()
    return push


def _fail_unstarted(push: StkPush, *, code: str, desc: str) -> None:
    StkPush.objects.filter(pk=push.pk, status=StkStatus.PENDING).update(
        status=StkStatus.FAILED, result_code=code[:20], result_desc=desc[:255], settled_at=timezone.now()
    )
    push.refresh_from_db()


# --- the callback --------------------------------------------------------------------------------------------------
@csrf_exempt
def stk_callback(request, token: str):
    """Daraja's STK result. Wrong token: 404, nothing stored. Wrong source: 403. Otherwise stored raw, processed in
    a django-q2 task after commit, and answered at once as Daraja expects."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not callback_token_ok(token):
        raise Http404
    if not callback_source_ok(request):
        return JsonResponse({"ResultCode": 1, "ResultDesc": "Rejected"}, status=403)
    callback = callback_store(kind=CallbackKind.STK_RESULT, request=request)
    transaction.on_commit(lambda: _enqueue("portal.mpesa.stk.stk_callback_process", callback.pk))
    return JsonResponse(ACCEPTED)


def _enqueue(func: str, *args) -> None:
    async_task(func, *args)


def _items(result: dict) -> dict:
    items = ((result.get("CallbackMetadata") or {}).get("Item")) or []
    return {item.get("Name"): item.get("Value") for item in items if isinstance(item, dict)}


def _paid_at(value) -> datetime.datetime:
    try:
        return datetime.datetime.strptime(str(value), "%Y%m%d%H%M%S").replace(tzinfo=NAIROBI)
    except (TypeError, ValueError):
        return timezone.now()


def stk_callback_process(callback_id: int) -> str:
    """The q2 task: read a stored STK callback and settle its push. A body that cannot be read, or a push that never
    existed, is recorded as the callback's outcome and posts nothing."""
    callback = MpesaCallback.objects.filter(pk=callback_id, processed_at__isnull=True).first()
    if callback is None:
        return "already processed"
    try:
        result = json.loads(callback.body)["Body"]["stkCallback"]
        checkout_id = str(result["CheckoutRequestID"])
        code = int(result["ResultCode"])
    except (ValueError, TypeError, KeyError) as exc:
        outcome = f"Unreadable STK callback ({type(exc).__name__}): nothing posted"
        callback_processed(callback=callback, outcome=outcome)
        return outcome
    items = _items(result)
    outcome = stk_settle(
        checkout_request_id=checkout_id,
        result_code=code,
        result_desc=str(result.get("ResultDesc", "")),
        receipt_number=str(items.get("MpesaReceiptNumber") or ""),
        amount=items.get("Amount"),
        paid_at=_paid_at(items.get("TransactionDate")),
    )
    callback_processed(callback=callback, outcome=outcome)
    return outcome


def stk_settle(
    *,
    checkout_request_id: str,
    result_code: int,
    result_desc: str = "",
    receipt_number: str = "",
    amount=None,
    paid_at: datetime.datetime | None = None,
) -> str:
    """Apply Daraja's result to a pending push, once (the push row is locked): 0 → paid, posted through
    mpesa_receipt_post under the receipt number; 1032 → cancelled; anything else → failed. A push already settled,
    or unknown, posts nothing. Returns what happened, in a sentence (the callback's outcome)."""
    with transaction.atomic():
        push = StkPush.objects.select_for_update().filter(checkout_request_id=checkout_request_id).first()
        if push is None:
            return f"No STK push {checkout_request_id[:64]}: nothing posted"
        if push.status != StkStatus.PENDING:
            return f"STK push {push.pk} already {push.status}: nothing posted"
        push.result_code = str(result_code)[:20]
        push.result_desc = (result_desc or "")[:255]
        push.settled_at = timezone.now()
        if result_code != 0:
            push.status = StkStatus.CANCELLED if result_code == RESULT_CANCELLED else StkStatus.FAILED
            push.save()
            return f"STK push {push.pk} {push.status} ({result_code}): nothing posted"
        received = push.amount
        if amount not in (None, ""):
            try:
                received = Decimal(str(amount)).quantize(Decimal("0.01"))
            except InvalidOperation:
                received = push.amount
        # Without a receipt number (a query's answer carries none) the push's own id keys the posting.
        trans_id = receipt_number or f"STK-{push.checkout_request_id}"
        try:
            with transaction.atomic():
                result = mpesa_receipt_post(
                    trans_id=trans_id,
                    member=push.member,
                    purpose=Purpose(push.purpose),
                    amount=received,
                    paid_at=paid_at or timezone.now(),
                    phone=push.phone,
                    payer_name=push.member.user.get_full_name(),
                    reference=push.account_reference,
                    channel=ReceiptChannel.STK,
                )
        except ValidationError as exc:
            logger.error("STK push %s paid (%s) but not posted: %s", push.pk, trans_id, exc)
            push.status = StkStatus.FAILED
            push.mpesa_receipt_number = trans_id[:40]
            push.result_desc = "Paid, but refused by the posting: staff to check"
            push.save()
            return f"STK push {push.pk} paid as {trans_id} but refused by the posting: nothing posted"
        push.status = StkStatus.PAID
        push.mpesa_receipt_number = result.receipt.trans_id
        push.save()
        posted = "posted" if result.created else "already posted (nothing posted again)"
        return f"STK push {push.pk} paid {received} as {result.receipt.trans_id}: {posted}"


# --- the timeout job ------------------------------------------------------------------------------------------------
def stk_pushes_query(*, limit: int = 200) -> dict:
    """The scheduled job: ask Daraja how each push pending longer than MPESA_STK_QUERY_AFTER_SECONDS ended, and
    settle it from the answer. Still being processed: asked again next time (failed after a day). A push that never
    reached Daraja (no CheckoutRequestID) is failed. Returns counts for the log."""
    now = timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.MPESA_STK_QUERY_AFTER_SECONDS)
    counts = {"settled": 0, "waiting": 0, "errors": 0, "unstarted": 0}
    stale = StkPush.objects.filter(status=StkStatus.PENDING, created_at__lte=cutoff)
    counts["unstarted"] = stale.filter(checkout_request_id__isnull=True).update(
        status=StkStatus.FAILED,
        result_desc="The request never reached M-Pesa.",
        settled_at=now,
        updated_at=now,
    )
    pushes = list(stale.filter(checkout_request_id__isnull=False).order_by("created_at")[:limit])
    if not pushes:
        return counts
    client = DarajaClient()
    for push in pushes:
        try:
            answer = client.stk_query(checkout_request_id=push.checkout_request_id)
        except DarajaError as exc:
            StkPush.objects.filter(pk=push.pk).update(queried_at=timezone.now())
            processing = exc.code == STILL_PROCESSING and "processed" in str(exc.body.get("errorMessage", "")).lower()
            if processing and now - push.created_at < GIVE_UP_AFTER:
                counts["waiting"] += 1
            elif now - push.created_at >= GIVE_UP_AFTER:
                stk_settle(checkout_request_id=push.checkout_request_id, result_code=-1, result_desc=str(exc)[:255])
                counts["settled"] += 1
            else:
                logger.warning("STK push %s query failed: %s", push.pk, exc)
                counts["errors"] += 1
            continue
        StkPush.objects.filter(pk=push.pk).update(queried_at=timezone.now())
        try:
            code = int(answer.get("ResultCode"))
        except (TypeError, ValueError):
            counts["errors"] += 1
            continue
        stk_settle(
            checkout_request_id=push.checkout_request_id,
            result_code=code,
            result_desc=str(answer.get("ResultDesc", "")),
        )
        counts["settled"] += 1
    return counts


# --- selectors for the member's pages -------------------------------------------------------------------------------
def member_stk_push(*, member: Member, pk) -> StkPush:
    """One of the member's own pushes; another member's (or none) is a 404."""
    push = StkPush.objects.filter(member=member, pk=pk).first()
    if push is None:
        raise Http404
    return push
