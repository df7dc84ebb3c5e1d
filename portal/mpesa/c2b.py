"""C2B paybill callbacks (issue 15): Daraja's validation and confirmation requests for money paid to the SACCO's
paybill, at /api/mpesa/c2b/validation/<token>/ and /api/mpesa/c2b/confirmation/<token>/.

Both are DRF views so the OpenAPI schema describes them as they are (Daraja's body in, Daraja's answer out) and the
contract test holds them to it. The token in the path is the credential: no sign-in, no session, no CSRF, no second
factor. A wrong token or a sender outside MPESA_ALLOWED_IPS is a 403 and nothing is stored or posted; wrong-token
requests are throttled per address (Daraja itself, with the right token, never is: a month-end burst must not be
refused). Otherwise the body is stored raw first (callbacks.callback_store), then:

- validation answers at once: {"ResultCode": 0, "ResultDesc": "Accepted"}, or a rejection with Daraja's codes —
  C2B00012 (invalid account number: the reference matches no current member, when MPESA_C2B_VALIDATE_REFERENCE is
  on), C2B00013 (invalid amount), C2B00015 (another shortcode), C2B00016 (a body that is not Daraja's);
- confirmation always answers Accepted at once and queues `c2b_confirmation_process` (django-q2, after commit),
  which parses the stored body — the amount through the one money parser, so "abc", 1e30, NaN or a negative amount
  marks the callback with the reason and posts nothing — and posts through receipts.mpesa_receipt_post, once per
  TransID.
"""

import datetime
import json
import re
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext_lazy as _
from django_q.tasks import async_task
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from portal.finance.ledger.services import LedgerError
from portal.members.models import MemberStatus
from portal.society.money import InvalidAmount, parse_amount

from .callbacks import (
    callback_processed,
    callback_source_ok,
    callback_store,
    callback_token_ok,
    callbacks_processed_many,
)
from .models import CallbackKind, MpesaCallback, MpesaReceipt, ReceiptStatus
from .receipts import (
    ReceiptConflict,
    ReceiptIn,
    ReceiptResult,
    mpesa_receipt_post,
    mpesa_receipts_post_many,
    reference_parse,
    references_parse,
)

NAIROBI = zoneinfo.ZoneInfo("Africa/Nairobi")
ACCEPTED = {"ResultCode": 0, "ResultDesc": "Accepted"}
INVALID_ACCOUNT = "C2B00012"
INVALID_AMOUNT = "C2B00013"
INVALID_SHORTCODE = "C2B00015"
OTHER_ERROR = "C2B00016"
_TRANS_ID = re.compile(r"^[A-Za-z0-9]{1,40}$")


# --- the body ------------------------------------------------------------------------------------------------------
class C2BBodyInvalid(ValueError):
    """The body is not a usable Daraja C2B request; `code` is Daraja's rejection code, `field` the key at fault."""

    def __init__(self, code: str, field: str, message: str):
        self.code = code
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class C2BPayment:
    trans_id: str
    amount: Decimal
    paid_at: datetime.datetime | None  # None: TransTime missing or not YYYYMMDDHHMMSS
    bill_ref: str
    phone: str
    payer_name: str
    shortcode: str
    transaction_type: str


def _refuse_constant(name):
    raise ValueError(f"{name} is not a number")


def _text(data: dict, key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise C2BBodyInvalid(OTHER_ERROR, key, f"{key} is not text.")
    return str(value).strip()


def trans_time_parse(value: str) -> datetime.datetime | None:
    """Daraja's TransTime, YYYYMMDDHHMMSS in Nairobi time, as an aware datetime (None if it is not one)."""
    try:
        naive = datetime.datetime.strptime(value, "%Y%m%d%H%M%S")
    except (TypeError, ValueError):
        return None
    return naive.replace(tzinfo=NAIROBI)


def c2b_payment_parse(body: str) -> C2BPayment:
    """Daraja's C2B JSON as a C2BPayment, or C2BBodyInvalid naming the field. Numbers are read as Decimal (never
    float) and the amount goes through the one money parser."""
    try:
        data = json.loads(body, parse_float=Decimal, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise C2BBodyInvalid(OTHER_ERROR, "body", "The body is not JSON.") from exc
    if not isinstance(data, dict):
        raise C2BBodyInvalid(OTHER_ERROR, "body", "The body is not a JSON object.")
    trans_id = _text(data, "TransID")
    if not _TRANS_ID.match(trans_id):
        raise C2BBodyInvalid(OTHER_ERROR, "TransID", "TransID is missing or not an M-Pesa receipt number.")
    raw_amount = data.get("TransAmount")
    if raw_amount is None or isinstance(raw_amount, (bool, dict, list)):
        raise C2BBodyInvalid(INVALID_AMOUNT, "TransAmount", "TransAmount is missing or not a number.")
    try:
        amount = parse_amount(str(raw_amount))
    except InvalidAmount as exc:
        raise C2BBodyInvalid(INVALID_AMOUNT, "TransAmount", f"TransAmount: {exc}") from exc
    names = [_text(data, key) for key in ("FirstName", "MiddleName", "LastName")]
    return C2BPayment(
        trans_id=trans_id.upper(),
        amount=amount,
        paid_at=trans_time_parse(_text(data, "TransTime")),
        bill_ref=_text(data, "BillRefNumber")[:100],
        phone=_text(data, "MSISDN")[:64],
        payer_name=" ".join(name for name in names if name)[:150],
        shortcode=_text(data, "BusinessShortCode"),
        transaction_type=_text(data, "TransactionType"),
    )


def _check_shortcode(payment: C2BPayment) -> None:
    ours = (settings.MPESA_SHORTCODE or "").strip()
    if ours and payment.shortcode and payment.shortcode != ours:
        raise C2BBodyInvalid(INVALID_SHORTCODE, "BusinessShortCode", f"{payment.shortcode} is not our paybill.")


# --- validation ----------------------------------------------------------------------------------------------------
def c2b_validate(body: str) -> dict:
    """Daraja's answer to a validation request: accept, or reject with the code that says why."""
    try:
        payment = c2b_payment_parse(body)
        _check_shortcode(payment)
    except C2BBodyInvalid as exc:
        return {"ResultCode": exc.code, "ResultDesc": "Rejected"}
    if settings.MPESA_C2B_VALIDATE_REFERENCE:
        member, _purpose = reference_parse(payment.bill_ref)
        if member is None or member.status == MemberStatus.EXITED:
            return {"ResultCode": INVALID_ACCOUNT, "ResultDesc": "Rejected"}
    return dict(ACCEPTED)


# --- confirmation --------------------------------------------------------------------------------------------------
def c2b_confirmation_process(callback_id) -> str:
    """The django-q2 task: post one stored confirmation (once; a second run finds it processed and does nothing),
    together with the other confirmations waiting (up to MPESA_C2B_BATCH, see _batch_process). Returns the
    outcome of this one, which is also recorded on the callback."""
    if settings.MPESA_C2B_BATCH > 1:
        outcomes = _batch_process(callback_id)
        if callback_id in outcomes:
            return outcomes[callback_id]
    return c2b_confirmation_process_alone(callback_id)


def c2b_confirmation_process_alone(callback_id) -> str:
    """Post one stored confirmation and no other (the retry job's way: it leaves younger ones to their tasks)."""
    with transaction.atomic():
        pending = MpesaCallback.objects.filter(
            pk=callback_id, kind=CallbackKind.C2B_CONFIRMATION, processed_at__isnull=True
        )
        if connection.features.has_select_for_update_skip_locked:
            pending = pending.select_for_update(skip_locked=True)
        callback = pending.first()
        if callback is None:
            return f"callback {callback_id}: already processed, being processed, or not a C2B confirmation"
        return _process_one(callback)


def _batch_process(callback_id) -> dict:
    """Post the oldest confirmations waiting, up to MPESA_C2B_BATCH of them, in one transaction: through
    receipts.mpesa_receipts_post_many (deposits, share capital and what waits in 2300: a few statements for the lot)
    and, for what it leaves (replays, loan repayments, bad bodies), one by one as _process_one does. At month end
    Daraja sends thousands in minutes and each queues a task; the first task takes the waiting ones, and the tasks
    after it find theirs done (one whose callback was not among them posts its own). The rows are locked (SKIP
    LOCKED on PostgreSQL) so workers take disjoint batches and a task never waits for another's. {pk: outcome}."""
    with transaction.atomic():
        waiting = MpesaCallback.objects.filter(kind=CallbackKind.C2B_CONFIRMATION, processed_at__isnull=True)
        if connection.features.has_select_for_update_skip_locked:
            waiting = waiting.select_for_update(skip_locked=True)
        callbacks = list(waiting.order_by("pk")[: settings.MPESA_C2B_BATCH])
        if len(callbacks) < 2:
            return {}
        payments = {}
        for callback in callbacks:
            try:
                payment = c2b_payment_parse(callback.body)
                _check_shortcode(payment)
            except C2BBodyInvalid:
                continue  # _process_one records why
            payments[callback.pk] = payment
        parsed = references_parse([payment.bill_ref for payment in payments.values()])
        items = [
            ReceiptIn(
                trans_id=payment.trans_id,
                member=parsed[payment.bill_ref][0],
                purpose=parsed[payment.bill_ref][1],
                amount=payment.amount,
                paid_at=payment.paid_at or callback.received_at,
                phone=payment.phone,
                payer_name=payment.payer_name,
                reference=payment.bill_ref,
            )
            for callback in callbacks
            if (payment := payments.get(callback.pk))
        ]
        # Replays (Daraja sends a confirmation again when our answer was slow): the same TransID and amount already
        # posted is answered here; another amount goes one by one below, which refuses it.
        earlier = dict(
            MpesaReceipt.objects.filter(trans_id__in=[item.trans_id for item in items]).values_list(
                "trans_id", "amount"
            )
        )
        try:
            with transaction.atomic():
                posted = mpesa_receipts_post_many(receipts=items)
        except (ValidationError, LedgerError, IntegrityError):  # e.g. a reference posted meanwhile: one by one below
            posted = {}
        outcomes, answered = {}, set()
        for callback in callbacks:
            payment = payments.get(callback.pk)
            if payment is None:
                continue
            trans_id = payment.trans_id
            if earlier.get(trans_id) == payment.amount or (
                trans_id in answered and posted[trans_id].amount == payment.amount
            ):
                outcomes[callback.pk] = f"{trans_id} already posted: nothing posted again"
            elif trans_id in posted and trans_id not in answered and trans_id not in earlier:
                answered.add(trans_id)
                outcomes[callback.pk] = _outcome(ReceiptResult(posted[trans_id], True))
        callbacks_processed_many(outcomes=outcomes)
        for callback in callbacks:
            if callback.pk not in outcomes:
                outcomes[callback.pk] = _process_one(callback)
        return outcomes


def _process_one(callback: MpesaCallback) -> str:
    """Post one stored confirmation through mpesa_receipt_post and record the outcome on it."""
    try:
        payment = c2b_payment_parse(callback.body)
        _check_shortcode(payment)
    except C2BBodyInvalid as exc:
        outcome = f"refused, nothing posted ({exc.field}): {exc}"
        callback_processed(callback=callback, outcome=outcome)
        return outcome
    member, purpose = reference_parse(payment.bill_ref)
    try:
        with transaction.atomic():
            result = mpesa_receipt_post(
                trans_id=payment.trans_id,
                member=member,
                purpose=purpose,
                amount=payment.amount,
                paid_at=payment.paid_at or callback.received_at,
                phone=payment.phone,
                payer_name=payment.payer_name,
                reference=payment.bill_ref,
            )
            outcome = _outcome(result)
            callback_processed(callback=callback, outcome=outcome)
    except (ReceiptConflict, ValidationError) as exc:
        outcome = f"refused, nothing posted: {'; '.join(exc.messages)}"
        callback_processed(callback=callback, outcome=outcome)
    return outcome


def _outcome(result) -> str:
    receipt = result.receipt
    if not result.created:
        return f"{receipt.trans_id} already posted: nothing posted again"
    where = "unallocated receipts (2300)" if receipt.status == ReceiptStatus.UNALLOCATED else receipt.note
    return f"{receipt.trans_id} KES {receipt.amount:,.2f} posted to {where}"


def _queue(callback_id) -> None:
    async_task("portal.mpesa.c2b.c2b_confirmation_process", callback_id)


# --- the views -----------------------------------------------------------------------------------------------------
@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
class ResultCodeField(serializers.Field):
    def to_representation(self, value):
        return value


class DarajaAnswerSerializer(serializers.Serializer):
    ResultCode = ResultCodeField(help_text="0: accepted; a rejection: C2B00012 account, C2B00013 amount, …")
    ResultDesc = serializers.CharField()


class C2BCallbackSerializer(serializers.Serializer):
    """Daraja's C2B validation and confirmation body (documented here; the view reads the raw body itself)."""

    TransactionType = serializers.CharField(required=False, help_text="e.g. Pay Bill")
    TransID = serializers.CharField(help_text="The M-Pesa receipt number.")
    TransTime = serializers.CharField(required=False, help_text="YYYYMMDDHHMMSS, Nairobi time.")
    TransAmount = serializers.CharField(help_text="Shillings, e.g. 1500.00.")
    BusinessShortCode = serializers.CharField(required=False)
    BillRefNumber = serializers.CharField(required=False, allow_blank=True, help_text="The account reference.")
    InvoiceNumber = serializers.CharField(required=False, allow_blank=True)
    OrgAccountBalance = serializers.CharField(required=False, allow_blank=True)
    ThirdPartyTransID = serializers.CharField(required=False, allow_blank=True)
    MSISDN = serializers.CharField(required=False, allow_blank=True)
    FirstName = serializers.CharField(required=False, allow_blank=True)
    MiddleName = serializers.CharField(required=False, allow_blank=True)
    LastName = serializers.CharField(required=False, allow_blank=True)


class MpesaCallbackRefusalSerializer(serializers.Serializer):
    detail = serializers.CharField()


class WrongTokenThrottle(AnonRateThrottle):
    """Requests with a wrong token, per address: someone guessing. Daraja (the right token) is never throttled."""

    scope = "mpesa_callback_guess"
    rate = "30/minute"


REFUSED = OpenApiResponse(
    MpesaCallbackRefusalSerializer, description="Wrong token, or a sender outside MPESA_ALLOWED_IPS."
)


class _CallbackView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [WrongTokenThrottle]
    parser_classes = [JSONParser]  # what the schema documents; the view reads the raw body itself
    kind = ""

    def get_throttles(self):
        if callback_token_ok(self.kwargs.get("token", "")):
            return []
        return super().get_throttles()

    def refusal(self, request, token) -> Response | None:
        if not callback_token_ok(token):
            return Response({"detail": str(_("Unknown callback."))}, status=403)
        if not callback_source_ok(request):
            return Response({"detail": str(_("This address may not send callbacks."))}, status=403)
        return None


class C2BValidationView(_CallbackView):
    """Daraja asks whether to accept a paybill payment before it completes."""

    kind = CallbackKind.C2B_VALIDATION

    @extend_schema(
        operation_id="mpesa_c2b_validation",
        tags=["mpesa"],
        request=C2BCallbackSerializer,
        responses={200: DarajaAnswerSerializer, 403: REFUSED},
        description="Daraja's C2B validation: Accepted (ResultCode 0) or Rejected with Daraja's code.",
    )
    def post(self, request, token):
        refused = self.refusal(request, token)
        if refused is not None:
            return refused
        callback = callback_store(kind=self.kind, request=request._request)
        answer = c2b_validate(callback.body)
        outcome = "accepted" if answer["ResultCode"] == 0 else f"rejected {answer['ResultCode']}"
        callback_processed(callback=callback, outcome=outcome)
        return Response(answer)


class C2BConfirmationView(_CallbackView):
    """Daraja says a paybill payment completed: stored, answered at once, posted by a django-q2 task."""

    kind = CallbackKind.C2B_CONFIRMATION

    @extend_schema(
        operation_id="mpesa_c2b_confirmation",
        tags=["mpesa"],
        request=C2BCallbackSerializer,
        responses={200: DarajaAnswerSerializer, 403: REFUSED},
        description="Daraja's C2B confirmation: always Accepted once stored; posted once per TransID.",
    )
    def post(self, request, token):
        refused = self.refusal(request, token)
        if refused is not None:
            return refused
        callback = callback_store(kind=self.kind, request=request._request)
        transaction.on_commit(lambda: _queue(callback.pk))
        return Response(dict(ACCEPTED))
