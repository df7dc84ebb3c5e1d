"""Loan disbursement by M-Pesa B2C (issue 15): the treasurer's Disburse sends the money to the member's phone.

Design
- Which loans: a loan product with `disburse_by_mpesa` (loans/0006). The loans app cannot import this one (a lower
  layer), so this app registers `MpesaB2CChannel` in loans' disbursement-channel registry from MpesaConfig.ready
  (portal/loans/disbursement_channels.py); `loan_disburse` — the one service behind the admin's Disburse action and
  the API's …/disburse/ — asks it for the product's channel. The permissions are unchanged: only those who may
  disburse (Treasurer, Administrators: `loans.disburse_loan`, and a fresh second-factor code in the admin) start a
  payout; nobody else and no member can. A product without the flag disburses exactly as before.
- Before anything is booked the channel checks the payout is possible: the member has a phone, the amount paid out
  is whole shillings (Daraja takes integers) between KES 10 and MPESA_B2C_MAX_AMOUNT; otherwise the disbursement is
  refused with a message naming the field (fix the phone, or tick "pay from the bank account instead"), and so is
  every M-Pesa disbursement while the callback URL, token, initiator or credential settings are missing.
- Postings (KES, hand-checkable):
    disbursement  Dr 1100 Loans to members [loan] principal / Cr "M-Pesa payouts in transit" (an asset clearing
                  account, code from 1099 down) the amount paid out / Cr 4100, 4110 fees (deducted) — exactly the
                  usual entry with the clearing account in place of the bank;
    paid result   Dr payouts in transit / Cr the "M-Pesa B2C <shortcode>" bank account (a finance BankAccount,
                  created idempotently) the amount paid out, key `b2c:<reference>:paid`;
    failed result the contra entry of the disbursement (`reversal:<entry>`, every line swapped: loan, fees and
                  clearing back to zero; nothing posted is edited or deleted).
  So the clearing account holds, at any time, minus the payouts still on their way, and is zero when none is.
- Failure: the payout is marked failed, the disbursement reversed (disbursement_channels.disbursement_reverse),
  the loan's unstarted schedule removed, the loan REVERSED ("Payout failed, reversed") and the application APPROVED
  again with its guarantees still accepted, and the member is told (notify, kind "loan decision": email and/or SMS
  in their language). The treasurer's Disburse action then pays it out again on the same loan row (a new disbursement
  entry `disbursement:<application>:after:<old entry>`, a new schedule from the new date), by M-Pesa (a new payout)
  or, with "pay from the bank account instead" (loan_disburse(by_bank=True)), from the bank as any other loan.
  A failure after money was posted on the loan (a repayment while the payout was on its way) is not reversed: the
  payout is marked failed, the loan book says "not reversed", staff settle it by hand (the clearing account shows it).
- Sending: the payout row is created inside the disbursement's transaction; the request goes to Daraja in a
  django-q2 task queued on commit (`b2c_send`), never inside the transaction. A DarajaError when sending (network,
  refusal) marks the payout failed and reverses at once. Caveat: a request that reached Daraja but whose answer was
  lost is then reversed although Safaricom may pay it; its result arrives for an unknown conversation and is
  stored, unprocessed, for staff (the M-Pesa statement shows the payment).
- Callbacks `/api/mpesa/b2c/result/<token>/` and `/api/mpesa/b2c/timeout/<token>/` (urls_b2c.py): a wrong token is
  404 and stores nothing; a sender outside MPESA_ALLOWED_IPS gets 403; otherwise the body is stored raw first
  (callbacks.callback_store), processed in a q2 task queued on commit, and answered
  `{"ResultCode": 0, "ResultDesc": "Accepted"}`. Results are matched by Daraja's OriginatorConversationID (or
  ConversationID). A result for an unknown conversation is stored, posts nothing and stays unprocessed: when a
  payout's ids are recorded after its result already arrived (a fast Daraja), `b2c_send` processes it then. A
  replayed result changes nothing (the payout row is locked; only a requested payout moves). A queue timeout is
  recorded on the payout (it stays pending): Daraja's result decides, and a failed one reverses. A payout whose
  result never comes can be marked "not paid" by the treasurer in the loan book (fresh code, a reason, and only
  30 minutes after it was sent): it fails and reverses like a failed result; a success arriving after that is
  stored and flagged "needs staff", never posted.
- B2C charges are not posted here: they show on the M-Pesa statement and are booked by reconciliation.
"""

import datetime
import json
import logging
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_q.tasks import async_task

from portal.finance.banking.models import BankAccount, BankAccountKind
from portal.finance.banking.services import bank_account_create
from portal.finance.ledger.models import Account, AccountType
from portal.finance.ledger.services import Line, ledger_post
from portal.loans.disbursement_channels import disbursement_reverse
from portal.loans.models import Loan, LoanApplication, LoanStatus
from portal.notifications.models import MessageKind
from portal.notifications.services import notify
from portal.society.errors import StateConflict

from .callbacks import callback_processed
from .daraja import DarajaClient, DarajaError, phone_msisdn
from .models import B2CPayout, CallbackKind, MpesaCallback, PayoutStatus

logger = logging.getLogger(__name__)

IN_TRANSIT_NAME = "M-Pesa payouts in transit"
MIN_AMOUNT = Decimal("10")
DEFAULT_MAX_AMOUNT = Decimal("250000")
# A payout with no result may be marked "not paid" by staff only this long after it was sent (Daraja's results
# normally come within seconds; its queue timeout within minutes).
GIVE_UP_AFTER_MINUTES = 30


# --- accounts ---------------------------------------------------------------------------------------------------
def payouts_in_transit_account() -> Account:
    """The clearing account a B2C disbursement credits until Daraja's result (an asset; created once)."""
    account = Account.objects.filter(name=IN_TRANSIT_NAME, type=AccountType.ASSET).first()
    if account is not None:
        return account
    used = set(Account.objects.filter(code__regex=r"^10[1-9][0-9]$").values_list("code", flat=True))
    code = next((str(c) for c in range(1099, 1009, -1) if str(c) not in used), None)
    if code is None:
        raise StateConflict(gettext("No free ledger code between 1010 and 1099 for M-Pesa payouts in transit."))
    try:
        with transaction.atomic():
            return Account.objects.create(code=code, name=IN_TRANSIT_NAME, type=AccountType.ASSET)
    except IntegrityError:  # created by a concurrent payout
        return Account.objects.get(name=IN_TRANSIT_NAME, type=AccountType.ASSET)


def b2c_bank_account() -> BankAccount:
    """The M-Pesa B2C (utility) account the payouts leave from, as a finance bank account (created once)."""
    shortcode = str(settings.MPESA_B2C_SHORTCODE or settings.MPESA_SHORTCODE or "").strip()
    name = f"M-Pesa B2C {shortcode}".strip()
    account = BankAccount.objects.filter(name=name).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return bank_account_create(
                name=name, kind=BankAccountKind.MPESA, bank_name="Safaricom M-Pesa", account_number=shortcode
            )
    except IntegrityError:
        return BankAccount.objects.get(name=name)


# --- the channel loans calls --------------------------------------------------------------------------------------
class MpesaB2CChannel:
    """Registered in loans' disbursement channels by MpesaConfig.ready."""

    label = "M-Pesa B2C"

    def credit_code(self) -> str:
        return payouts_in_transit_account().code

    def check(self, *, application: LoanApplication, amount: Decimal) -> None:
        phone = application.member.phone_number
        if not phone:
            raise ValidationError(
                {"phone_number": [_("The member has no phone number for M-Pesa; add one or pay by bank.")]}
            )
        try:
            phone_msisdn(phone)
        except DarajaError as exc:
            raise ValidationError({"phone_number": [str(exc)]}) from exc
        maximum = Decimal(str(getattr(settings, "MPESA_B2C_MAX_AMOUNT", DEFAULT_MAX_AMOUNT)))
        if amount != amount.to_integral_value():
            raise ValidationError(
                {"amount": [_("M-Pesa pays whole shillings; the amount paid out would be KES %s.") % f"{amount:,.2f}"]}
            )
        if not MIN_AMOUNT <= amount <= maximum:
            raise ValidationError(
                {
                    "amount": [
                        _("M-Pesa pays from KES %(min)s to KES %(max)s at a time; pay this loan by bank.")
                        % {"min": f"{MIN_AMOUNT:,.0f}", "max": f"{maximum:,.0f}"}
                    ]
                }
            )
        if not (
            settings.MPESA_CALLBACK_BASE_URL
            and settings.MPESA_CALLBACK_TOKEN
            and settings.MPESA_B2C_INITIATOR_NAME
            and settings.MPESA_B2C_SECURITY_CREDENTIAL
        ):
            raise ValidationError(
                {
                    "product": [
                        _(
                            "M-Pesa payouts are not set up (callback URL, token, B2C initiator and credential); "
                            "pay this loan by bank."
                        )
                    ]
                }
            )

    def start(self, *, loan: Loan, by) -> None:
        payout = B2CPayout.objects.create(
            reference=f"B2C{uuid.uuid4().hex[:16].upper()}",
            loan=loan,
            disbursement_entry=loan.disbursement_entry,
            phone=loan.member.phone_number,
            amount=loan.amount_paid_out,
            requested_by=by if getattr(by, "pk", None) else None,
        )
        transaction.on_commit(lambda: _queue("portal.mpesa.b2c.b2c_send", str(payout.pk)))

    def describe(self, loan: Loan) -> str:
        payout = B2CPayout.objects.filter(loan=loan).order_by("-requested_at").first()
        if payout is None:
            return ""
        if payout.disbursement_entry_id != loan.disbursement_entry_id and loan.status != LoanStatus.REVERSED:
            return gettext("Paid from the bank after a failed M-Pesa payout")
        text = gettext("M-Pesa: %(status)s") % {"status": payout.get_status_display()}
        if payout.transaction_receipt:
            text += f" ({payout.transaction_receipt})"
        elif payout.status == PayoutStatus.REQUESTED and payout.timed_out_at:
            text += gettext(" (queue timeout; awaiting the result)")
        elif payout.status == PayoutStatus.FAILED:
            if loan.status == LoanStatus.REVERSED:
                text += gettext(" (reversed; Disburse pays it out again)")
            else:
                text += gettext(" (not reversed: money was posted on the loan; settle it by hand)")
        return text

    def pending(self, loan: Loan) -> bool:
        return B2CPayout.objects.filter(loan=loan, status=PayoutStatus.REQUESTED).exists()

    def give_up(self, *, loan: Loan, by, reason: str) -> str:
        payout = B2CPayout.objects.filter(loan=loan, status=PayoutStatus.REQUESTED).first()
        if payout is None:
            raise ValidationError({"payout": [_("No M-Pesa payout of this loan is waiting.")]})
        wait = datetime.timedelta(minutes=GIVE_UP_AFTER_MINUTES)
        since = payout.sent_at or payout.requested_at
        if timezone.now() - since < wait:
            message = _("M-Pesa may still answer: wait %(minutes)s minutes after the payout was sent, then look again.")
            raise ValidationError({"payout": [message % {"minutes": GIVE_UP_AFTER_MINUTES}]})
        by_name = getattr(by, "email", "") or "staff"
        return payout_fail(payout=payout, code="staff", desc=f"Not paid, per {by_name}: {reason}"[:255], by=by)


def _queue(func: str, *args) -> None:
    async_task(func, *args)


def _callback_url(name: str) -> str:
    base = (settings.MPESA_CALLBACK_BASE_URL or "").rstrip("/")
    return base + reverse(f"mpesa:{name}", args=[settings.MPESA_CALLBACK_TOKEN])


# --- sending ------------------------------------------------------------------------------------------------------
def b2c_send(payout_id: str) -> str:
    """Send one requested payout to Daraja (a q2 task queued when the disbursement commits), once: the payout is
    claimed (`sent_at`) under a row lock before the request, so a second run sends nothing."""
    with transaction.atomic():
        payout = B2CPayout.objects.select_for_update().filter(pk=payout_id).first()
        if payout is None or payout.status != PayoutStatus.REQUESTED or payout.sent_at is not None:
            return "nothing to send"
        payout.sent_at = timezone.now()
        payout.save(update_fields=["sent_at"])
    try:
        answer = DarajaClient().b2c_payment(
            phone=payout.phone,
            amount=payout.amount,
            remarks=f"Loan payout {payout.reference}",
            occasion=payout.reference,
            result_url=_callback_url("b2c_result"),
            timeout_url=_callback_url("b2c_timeout"),
        )
    except DarajaError as exc:
        logger.warning("B2C payout %s refused when sent: %s", payout.reference, exc)
        return payout_fail(payout=payout, code=exc.code or "send", desc=str(exc))
    if str(answer.get("ResponseCode", "0")) != "0":
        return payout_fail(
            payout=payout, code=str(answer.get("ResponseCode")), desc=str(answer.get("ResponseDescription", ""))
        )
    originator = str(answer.get("OriginatorConversationID") or "")[:100] or None
    B2CPayout.objects.filter(pk=payout.pk).update(
        originator_conversation_id=originator, conversation_id=str(answer.get("ConversationID") or "")[:100]
    )
    # A fast Daraja may have answered before we knew the ids: its result waits, stored and unprocessed.
    early = MpesaCallback.objects.filter(kind=CallbackKind.B2C_RESULT, processed_at__isnull=True)
    for callback in early.filter(body__contains=originator or str(answer.get("ConversationID") or "-")):
        b2c_result_process(callback.pk)
    return "sent"


# --- outcomes -----------------------------------------------------------------------------------------------------
def payout_fail(*, payout: B2CPayout, code: str, desc: str, by=None) -> str:
    """Mark a requested payout failed and reverse its disbursement (once; a failed or paid payout is left alone)."""
    with transaction.atomic():
        locked = B2CPayout.objects.select_for_update().select_related("loan").get(pk=payout.pk)
        if locked.status != PayoutStatus.REQUESTED:
            return f"already {locked.status}"
        locked.status = PayoutStatus.FAILED
        locked.result_code = str(code)[:20]
        locked.result_desc = str(desc)[:255]
        locked.finished_at = timezone.now()
        locked.save(update_fields=["status", "result_code", "result_desc", "finished_at"])
        loan = locked.loan
        if loan.disbursement_entry_id != locked.disbursement_entry_id:
            return "failed; the loan was booked again since, nothing reversed"
        try:
            with transaction.atomic():
                disbursement_reverse(loan=loan, by=by, reason=f"M-Pesa {code}: {desc}"[:150])
        except StateConflict as exc:
            logger.error("B2C payout %s failed but its loan cannot be reversed: %s", locked.reference, exc)
            return f"failed; reversal refused: {exc.messages[0]}"[:255]
        transaction.on_commit(lambda: _failure_notify(locked.pk))
    return f"failed ({code}); disbursement reversed"


def _failure_notify(payout_id) -> None:
    """Tell the member (in their language) that the payout did not reach them and they owe nothing for it."""
    payout = B2CPayout.objects.select_related("loan__member__user").get(pk=payout_id)
    user = payout.loan.member.user
    with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
        subject = gettext("Your loan payout did not go through")
        text = gettext(
            "M-Pesa could not send your loan of KES %(amount)s to %(phone)s; you owe nothing for it. "
            "The SACCO will pay it out again."
        ) % {"amount": f"{payout.amount:,.2f}", "phone": payout.phone}
    notify(
        user=user,
        subject=subject,
        template="generic",
        context={"body": text},
        link=reverse("member_area:loans"),
        kind=MessageKind.LOAN_DECISION,
        sms_text=text,
    )


def payout_paid(*, payout: B2CPayout, receipt: str, code: str, desc: str) -> str:
    """Mark a requested payout paid and settle the clearing account from the B2C bank account (once)."""
    with transaction.atomic():
        locked = B2CPayout.objects.select_for_update().select_related("loan__member").get(pk=payout.pk)
        if locked.status != PayoutStatus.REQUESTED:
            return f"already {locked.status}"
        locked.status = PayoutStatus.PAID
        locked.transaction_receipt = receipt[:40]
        locked.result_code = str(code)[:20]
        locked.result_desc = str(desc)[:255]
        locked.finished_at = timezone.now()
        locked.save(update_fields=["status", "transaction_receipt", "result_code", "result_desc", "finished_at"])
        memo = f"M-Pesa B2C {receipt} loan payout to {locked.loan.member.membership_number}"
        ledger_post(
            memo=memo,
            lines=[
                Line(payouts_in_transit_account().code, debit=locked.amount, description=memo),
                Line(b2c_bank_account().ledger_account.code, credit=locked.amount, description=memo),
            ],
            idempotency_key=f"b2c:{locked.reference}:paid",
            date=timezone.localdate(),
            source="mpesa b2c",
        )
    return f"paid {receipt}"


def _result_of(callback: MpesaCallback) -> dict | None:
    try:
        data = json.loads(callback.body)
    except ValueError:
        return None
    result = data.get("Result") if isinstance(data, dict) else None
    return result if isinstance(result, dict) else None


def _parameters(result: dict) -> dict:
    params = (result.get("ResultParameters") or {}).get("ResultParameter") or []
    if isinstance(params, dict):
        params = [params]
    return {p.get("Key"): p.get("Value") for p in params if isinstance(p, dict)}


def _payout_for(result: dict) -> B2CPayout | None:
    originator = str(result.get("OriginatorConversationID") or "")
    conversation = str(result.get("ConversationID") or "")
    if originator:
        payout = B2CPayout.objects.filter(originator_conversation_id=originator).first()
        if payout is not None:
            return payout
    if conversation:
        return B2CPayout.objects.filter(conversation_id=conversation).first()
    return None


def b2c_result_process(callback_id: int) -> str:
    """Process one stored B2C result (a q2 task): paid → settle the clearing account; failed → reverse."""
    callback = MpesaCallback.objects.get(pk=callback_id)
    if callback.processed_at is not None:
        return callback.outcome
    result = _result_of(callback)
    if result is None or "ResultCode" not in result:
        outcome = "unreadable: not a Daraja B2C result"
        callback_processed(callback=callback, outcome=outcome)
        return outcome
    payout = _payout_for(result)
    if payout is None:
        logger.warning("B2C result for an unknown conversation %s", result.get("OriginatorConversationID"))
        return "unknown conversation: stored, nothing posted"
    code = str(result.get("ResultCode"))
    desc = str(result.get("ResultDesc") or "")
    if payout.status != PayoutStatus.REQUESTED:
        outcome = f"replay: payout {payout.reference} already {payout.status}; nothing changed"
        if code == "0" and payout.status == PayoutStatus.FAILED:
            outcome = f"needs staff: M-Pesa reports payout {payout.reference} paid after it was failed and reversed"
            logger.error(outcome)
    elif code == "0":
        params = _parameters(result)
        receipt = str(params.get("TransactionReceipt") or result.get("TransactionID") or "")
        reported = params.get("TransactionAmount")
        outcome = payout_paid(payout=payout, receipt=receipt, code=code, desc=desc)
        if reported is not None and Decimal(str(reported)) != payout.amount:
            logger.error("B2C payout %s: M-Pesa reports KES %s paid", payout.reference, reported)
            outcome += f"; M-Pesa reports KES {reported}, not {payout.amount}"
    else:
        outcome = payout_fail(payout=payout, code=code, desc=desc)
    callback_processed(callback=callback, outcome=outcome)
    return outcome


def b2c_timeout_process(callback_id: int) -> str:
    """A queue timeout: recorded on the payout, which stays pending until Daraja's result decides."""
    callback = MpesaCallback.objects.get(pk=callback_id)
    if callback.processed_at is not None:
        return callback.outcome
    result = _result_of(callback)
    payout = _payout_for(result) if result is not None else None
    if payout is None:
        outcome = "queue timeout for an unknown conversation; nothing changed"
    else:
        updated = B2CPayout.objects.filter(
            pk=payout.pk, status=PayoutStatus.REQUESTED, timed_out_at__isnull=True
        ).update(timed_out_at=timezone.now())
        outcome = f"queue timeout on {payout.reference}" + ("; awaiting the result" if updated else "; nothing changed")
    callback_processed(callback=callback, outcome=outcome)
    return outcome
