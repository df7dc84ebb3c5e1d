"""Loan money: applications decided, loans disbursed, repayments allocated — each change under a row lock, each
posting through the ledger with an idempotency key, so concurrent requests make one loan and lose no shilling.

Postings (domain.md):
- disbursement: Dr 1100 Loans to members [loan] principal / Cr bank paid out, Cr 4100 processing, 4110 insurance
  and 4130 application fees (fees.py; deducted, or added to the principal when capitalised);
- interest falls due: Dr 1110 Interest receivable [loan] / Cr 4000 Loan interest, once per instalment
  (`interest:<loan>:<n>`), when the instalment falls due or when it is paid, whichever is first;
- repayment: Dr bank / Cr 1120 penalties, 1110 interest, 1100 principal [loan]; an overpayment beyond the whole
  balance is credited to the member's deposits (2000).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy, ngettext

from portal.audit.services import POST, audit_log
from portal.contributions.services import summaries_refresh
from portal.finance.banking.models import BankAccount
from portal.finance.banking.services import bank_account_primary
from portal.finance.ledger.services import IdempotencyConflict, Line, ledger_post
from portal.finance.periods.guard import books_closed_through
from portal.members.models import Member
from portal.notifications.models import MessageKind
from portal.notifications.services import notify
from portal.society.errors import StateConflict
from portal.society.money import InvalidAmount, format_money, parse_amount
from portal.society.policy import sacco_settings
from portal.society.wording import counted, with_article

from .affordability import payslip_parse
from .disbursement_channels import channel_for
from .eligibility import free_deposits, loan_eligibility
from .fees import loan_fees
from .messages import guarantor_request_sms, loan_decision_sms, loan_disbursed_notify, repayment_received_queue
from .models import (
    ApplicationStatus,
    Guarantee,
    GuaranteeStatus,
    Loan,
    LoanApplication,
    LoanInstalment,
    LoanProduct,
    LoanRepayment,
    LoanStatus,
)
from .schedule import schedule_build

LOANS = "1100"
INTEREST_RECEIVABLE = "1110"
PENALTIES_RECEIVABLE = "1120"
INTEREST_INCOME = "4000"
PROCESSING_FEES = "4100"
INSURANCE_FEES = "4110"
DEPOSITS = "2000"
UNALLOCATED = "2300"
INSURANCE_CLAIMS = "1130"
ZERO = Decimal("0.00")


class LoanStateError(StateConflict):
    """The application or loan is not in a state that allows this (already decided, already disbursed…). A
    StateConflict (409 in the API), so a ValidationError too, as the admin and the portal catch it."""


def _amount(raw, field: str) -> Decimal:
    try:
        if isinstance(raw, float):
            raise InvalidAmount("Amounts must not be floats.")
        return parse_amount(str(raw))
    except InvalidAmount as exc:
        raise ValidationError({field: [str(exc)]}) from exc


@dataclass
class GuarantorRequest:
    """One guarantor asked for in an application: the member (None when the number named nobody) and the amount."""

    member: Member | None
    amount: object
    label: str = ""


@transaction.atomic
def application_submit(
    *,
    member: Member,
    product: LoanProduct,
    amount,
    term_months,
    purpose: str,
    guarantors: list[GuarantorRequest] | None = None,
    today=None,
    basic_pay=None,
    total_deductions=None,
    top_up_of: Loan | None = None,
) -> LoanApplication:
    """Check the request against the product, the member's eligibility and the guarantee rules (every failure
    named), then record it and ask each guarantor. `basic_pay` and `total_deductions` are the member's payslip
    (both or neither): with them the two-thirds rule applies (affordability.py). `top_up_of`: the member's active
    loan this one clears when paid out (top_up.py): it does not count against the limit or the free deposits."""
    errors: dict[str, list[str]] = {}
    if top_up_of is not None:
        from .top_up import top_up_check  # top_up.py builds on this module

        try:
            top_up_check(member=member, loan=top_up_of)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    try:
        amount = _amount(amount, "amount")
    except ValidationError as exc:
        errors.update(exc.message_dict)
        amount = None
    try:
        term = int(term_months)
    except (TypeError, ValueError):
        term = None
        errors["term_months"] = [f"{term_months!r} is not a number of months."]
    if not product.active:
        errors["product"] = [f"{product.name} takes no new applications."]
    if amount is not None and not product.min_amount <= amount <= product.max_amount:
        errors["amount"] = [
            f"{product.name} lends from {format_money(product.min_amount)} to {format_money(product.max_amount)}."
        ]
    if term is not None and not product.min_term_months <= term <= product.max_term_months:
        errors["term_months"] = [
            f"{product.name} runs from {product.min_term_months} to {product.max_term_months} months."
        ]
    if amount is not None and "amount" not in errors:
        fees = loan_fees(product=product, amount=amount)
        if fees.paid_out <= 0:  # a fixed application fee deducted from a small loan
            errors["amount"] = [f"The fees ({format_money(fees.total)}) would take the whole amount; borrow more."]
    if not (purpose or "").strip():
        errors["purpose"] = ["Say what the loan is for."]
    try:
        basic_pay, total_deductions = payslip_parse(basic_pay=basic_pay, total_deductions=total_deductions)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    if top_up_of is not None:
        from .top_up import top_up_amount_check

        top_up_amount_check(loan=top_up_of, product=product, amount=amount, today=today)
    eligibility = loan_eligibility(
        member=member,
        product=product,
        amount=amount,
        today=today,
        term_months=term,
        basic_pay=basic_pay,
        total_deductions=total_deductions,
        clearing=top_up_of,
    )
    if not all(rule.passed for rule in eligibility.rules):
        failures: dict[str, list[str]] = {}
        for rule in eligibility.failed:
            # The amount is what the member changes for the limit and the two-thirds rule; the rest is about them.
            failures.setdefault("amount" if rule.code in ("limit", "affordability") else "member", []).append(
                rule.detail
            )
        raise ValidationError(failures)
    requests, cover = _guarantees_check(
        member=member, product=product, amount=amount, guarantors=guarantors or [], clearing=top_up_of
    )
    application = LoanApplication.objects.create(
        member=member,
        product=product,
        amount=amount,
        term_months=term,
        purpose=purpose.strip()[:255],
        annual_rate=product.annual_rate,
        method=product.method,
        cover_needed=cover,
        basic_pay=basic_pay,
        total_deductions=total_deductions,
        top_up_of=top_up_of,
    )
    for guarantor, guaranteed in requests:
        Guarantee.objects.create(application=application, guarantor=guarantor, amount=guaranteed)
        notify(
            user=guarantor.user,
            # Lazy: notify renders them in the guarantor's language.
            subject=format_lazy(gettext_lazy("{name} asks you to guarantee a loan"), name=member.user.get_full_name()),
            template="generic",
            context={
                "body": format_lazy(
                    gettext_lazy(
                        # Translators: {loan} has an English article ("an emergency loan"); use {product} instead.
                        # xgettext:no-python-brace-format
                        "{name} ({number}) has applied for {loan} of {amount} and asks you to guarantee "
                        "{guaranteed} of it with your deposits. Accept or decline in your portal."
                    ),
                    name=member.user.get_full_name(),
                    number=member.membership_number,
                    loan=with_article(product.name.lower()),
                    product=product.name,
                    amount=format_money(amount),
                    guaranteed=format_money(guaranteed),
                )
            },
            link=reverse("member_area:guarantees"),
            kind=MessageKind.GUARANTOR_REQUEST,
            sms_text=guarantor_request_sms(
                guarantor=guarantor, borrower=member, product=product, amount=amount, guaranteed=guaranteed
            ),
        )
    # approval.py imports this module (the decisions it carries out): imported here to break that cycle.
    from .approval import loan_review_start

    loan_review_start(application=application, by=member.user)
    return application


def _guarantees_check(*, member, product, amount, guarantors, clearing=None) -> tuple[list, Decimal]:
    """domain.md: guarantees cover the part above the borrower's free deposits, by at least the product's number of
    guarantors; each guarantee within the guarantor's free deposits; nobody guarantees more than the limit of loans."""
    limit = sacco_settings().max_active_guarantees
    cover = max(amount - free_deposits(member=member, clearing=clearing), ZERO)
    errors, requests, seen = [], [], set()
    for number, request in enumerate(guarantors, start=1):
        name = f"Guarantor {number}" + (f" ({request.label})" if request.label else "")
        guarantor = request.member
        if guarantor is None:
            errors.append(f"{name}: no such member.")
            continue
        if guarantor.pk == member.pk:
            errors.append(f"{name}: you cannot guarantee your own loan.")
            continue
        if guarantor.pk in seen:
            errors.append(f"{name}: named twice.")
            continue
        seen.add(guarantor.pk)
        try:
            guaranteed = _amount(request.amount, "guarantors")
        except ValidationError:
            errors.append(f"{name}: {request.amount!r} is not a valid amount.")
            continue
        if guarantor.status != "active":
            errors.append(f"{name}: only active members can guarantee.")
            continue
        available = free_deposits(member=guarantor)
        if guaranteed > available:
            errors.append(f"{name}: can guarantee at most {format_money(available)} (their free deposits).")
        active = Guarantee.objects.filter(
            guarantor=guarantor, status__in=[GuaranteeStatus.REQUESTED, GuaranteeStatus.ACCEPTED]
        ).count()
        if active >= limit:
            errors.append(f"{name}: already guarantees {counted(active, 'loan', 'loans')}; the limit is {limit}.")
        requests.append((guarantor, guaranteed))
    total = sum((g for _, g in requests), ZERO)
    if cover > 0:
        if total < cover:
            errors.append(
                f"The loan is {format_money(cover)} above your free deposits; guarantees cover {format_money(total)}."
            )
        if len(requests) < product.guarantors_required:
            needed = counted(product.guarantors_required, "guarantor", "guarantors")
            errors.append(f"{product.name} needs at least {needed} above your deposits.")
    if errors:
        raise ValidationError({"guarantors": errors})
    return requests, cover


def _guarantee_respond(*, guarantee, by_member: Member, accept: bool):
    with transaction.atomic():
        # The application first: answers to one application queue, so the last one sees the others and starts
        # the review exactly once.
        LoanApplication.objects.select_for_update().filter(pk=guarantee.application_id).first()
        locked = (
            Guarantee.objects.select_for_update(of=("self",))
            .select_related("application__member__user")
            .get(pk=guarantee.pk)
        )
        if locked.guarantor_id != by_member.pk:
            raise LoanStateError("Only the guarantor answers a guarantee request.")
        if locked.status != GuaranteeStatus.REQUESTED:
            raise LoanStateError(f"This request is already {locked.get_status_display().lower()}.")
        if locked.application.status != ApplicationStatus.SUBMITTED:
            raise LoanStateError("The application is no longer waiting for guarantors.")
        if accept:
            # Their own pending promise counts against free deposits; add it back to compare.
            available = free_deposits(member=by_member) + locked.amount
            if locked.amount > available:
                raise ValidationError(
                    {"amount": [f"Your free deposits ({format_money(available)}) no longer cover it."]}
                )
        locked.status = GuaranteeStatus.ACCEPTED if accept else GuaranteeStatus.DECLINED
        locked.responded_at = timezone.now()
        locked.save(update_fields=["status", "responded_at"])
        applicant = locked.application.member.user
        name = by_member.user.get_full_name()
        subject = (
            gettext_lazy("{name} accepted to guarantee your loan")
            if accept
            else gettext_lazy("{name} declined to guarantee your loan")
        )
        body = (
            gettext_lazy("{name} accepted to guarantee {amount}.")
            if accept
            else gettext_lazy("{name} declined to guarantee {amount}.")
        )
        notify(
            user=applicant,
            subject=format_lazy(subject, name=name),
            template="generic",
            context={"body": format_lazy(body, name=name, amount=format_money(locked.amount))},
            link=reverse("member_area:loans"),
        )
        # approval.py imports this module (the decisions it carries out): imported here to break that cycle.
        from .approval import loan_review_start

        loan_review_start(application=locked.application, by=by_member.user)
    guarantee.refresh_from_db()
    return guarantee


def guarantee_accept(*, guarantee, by_member: Member):
    """The guarantor accepts (the view asks for a fresh second-factor code first). A request to stand in for
    another guarantor of a paid-out loan is answered by guarantor_substitution.py."""
    # guarantor_substitution.py imports this module: imported here to break that cycle.
    from .guarantor_substitution import substitution_of, substitution_respond

    if substitution_of(guarantee) is not None:
        return substitution_respond(guarantee=guarantee, by_member=by_member, accept=True)
    return _guarantee_respond(guarantee=guarantee, by_member=by_member, accept=True)


def guarantee_decline(*, guarantee, by_member: Member):
    from .guarantor_substitution import substitution_of, substitution_respond

    if substitution_of(guarantee) is not None:
        return substitution_respond(guarantee=guarantee, by_member=by_member, accept=False)
    return _guarantee_respond(guarantee=guarantee, by_member=by_member, accept=False)


def _guarantees_release(application: LoanApplication) -> None:
    """The application ended or its loan closed: every promise on it is released."""
    application.guarantees.filter(status__in=[GuaranteeStatus.REQUESTED, GuaranteeStatus.ACCEPTED]).update(
        status=GuaranteeStatus.RELEASED, responded_at=timezone.now()
    )


def _decide(*, application: LoanApplication, by, status: str, reason: str) -> LoanApplication:
    with transaction.atomic():
        locked = LoanApplication.objects.select_for_update().get(pk=application.pk)
        if locked.status != ApplicationStatus.SUBMITTED:
            raise LoanStateError(f"This application is already {locked.get_status_display().lower()}.")
        if by is not None and locked.member.user_id == by.pk:
            raise LoanStateError("Nobody decides their own application.")
        if by is not None and locked.guarantees.filter(guarantor__user_id=by.pk).exists():
            raise LoanStateError("A guarantor of this application cannot decide it.")
        if status == ApplicationStatus.APPROVED:
            waiting = locked.guarantees.filter(status=GuaranteeStatus.REQUESTED).count()
            accepted = locked.guarantees.filter(status=GuaranteeStatus.ACCEPTED).aggregate(total=Sum("amount"))["total"]
            if waiting:
                raise LoanStateError(
                    ngettext(
                        "%(n)d guarantor has not answered yet.", "%(n)d guarantors have not answered yet.", waiting
                    )
                    % {"n": waiting}
                )
            if (accepted or ZERO) < locked.cover_needed:
                raise LoanStateError(
                    f"Accepted guarantees ({format_money(accepted or ZERO)}) do not cover "
                    f"{format_money(locked.cover_needed)}."
                )
        locked.status = status
        locked.decision_reason = reason.strip()[:255]
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decision_reason", "decided_by", "decided_at"])
        if status == ApplicationStatus.REJECTED:
            _guarantees_release(locked)
        _decision_notify(locked)
    application.refresh_from_db()
    return application


def _decision_notify(application: LoanApplication) -> None:
    """Lazy texts: notify renders them in the member's language."""
    product = application.product.name.lower()
    if application.status == ApplicationStatus.APPROVED:
        subject = format_lazy(
            gettext_lazy("Your {product} of {amount} is approved"),
            product=product,
            amount=format_money(application.amount),
        )
        body = format_lazy(
            gettext_lazy("{subject}. The treasurer will pay it out; you will see the schedule in your portal."),
            subject=subject,
        )
    else:
        subject = format_lazy(gettext_lazy("Your {product} application was not approved"), product=product)
        body = format_lazy(gettext_lazy("The reason given: {reason}"), reason=application.decision_reason)
    notify(
        user=application.member.user,
        subject=subject,
        template="generic",
        context={"body": body},
        link=reverse("member_area:loans"),
        kind=MessageKind.LOAN_DECISION,
        sms_text=loan_decision_sms(application=application),
    )


def application_approve(*, application: LoanApplication, by, reason: str = "") -> LoanApplication:
    """Approve once (the approval workflow calls this at its end)."""
    return _decide(application=application, by=by, status=ApplicationStatus.APPROVED, reason=reason)


def application_reject(*, application: LoanApplication, by, reason: str) -> LoanApplication:
    if not (reason or "").strip():
        raise ValidationError({"reason": ["Say why the application is rejected; the member reads it."]})
    return _decide(application=application, by=by, status=ApplicationStatus.REJECTED, reason=reason)


@dataclass
class Disbursement:
    loan: Loan
    created: bool


def disbursement_date_check(*, application: LoanApplication, date: datetime.date) -> None:
    """The day a person gives for a pay-out: not in the future, and not before the application was approved (the
    API and the admin ask for it). `loan_disburse` itself does not refuse an earlier day: the demo data back-date."""
    if date > timezone.localdate():
        raise ValidationError({"date": ["The disbursement date cannot be in the future."]})
    if application.decided_at is not None and date < timezone.localdate(application.decided_at):
        approved_on = timezone.localdate(application.decided_at)
        raise ValidationError({"date": [f"The loan was approved on {approved_on:%d %b %Y}; pay it out on or after."]})


def loan_disburse(
    *,
    application: LoanApplication,
    by,
    date: datetime.date | None = None,
    bank_account: BankAccount | None = None,
    by_bank: bool = False,
) -> Disbursement:
    """Pay out an approved application once: the application row is locked, the loan is one-to-one with it and the
    ledger key is `disbursement:<application>`; a second call returns the same loan (created=False).

    A product that asks for another channel (M-Pesa B2C, disbursement_channels.py) is paid through it instead of the
    bank account (`by_bank` pays from the bank all the same); a loan whose payout failed and was reversed is paid out
    again on the same loan row."""
    date = date or timezone.localdate()
    # A top-up is paid from the bank: its payout is what is left after clearing the old loan (top_up.py).
    channel = None if by_bank or application.top_up_of_id else channel_for(application.product)
    account = bank_account or bank_account_primary()
    if channel is None and (account is None or not account.active):
        raise ValidationError({"bank_account": ["Choose an active bank account to pay from."]})
    if date > timezone.localdate():
        raise ValidationError({"date": ["The disbursement date cannot be in the future."]})
    try:
        with transaction.atomic():
            locked = (
                LoanApplication.objects.select_for_update(of=("self",))
                .select_related("product", "member")
                .get(pk=application.pk)
            )
            existing = Loan.objects.filter(application=locked).first()
            if existing is not None and existing.status != LoanStatus.REVERSED:
                return Disbursement(existing, False)
            if locked.status != ApplicationStatus.APPROVED:
                raise LoanStateError(
                    f"Only an approved application is paid out; this one is {locked.get_status_display().lower()}."
                )
            if locked.top_up_of_id is not None:
                from .top_up import top_up_disburse  # top_up.py builds on this module

                loan = top_up_disburse(locked, by=by, date=date, account=account)
            else:
                loan = _disburse(locked, by=by, date=date, account=account, channel=channel, redo=existing)
            audit_log(
                instance=loan,
                action=POST,
                by=by,
                summary=f"Disbursed KES {loan.principal:,.2f} ({loan.product.name}, {loan.term_months} months); "
                f"paid out KES {loan.amount_paid_out:,.2f} from {channel.label if channel else account.name} "
                f"on {date:%d %b %Y}",
            )
            loan_disbursed_notify(loan=loan, on_its_way=channel is not None)  # B2C: sent after commit
    except IntegrityError:
        loan = Loan.objects.filter(application=application).first()
        if loan is None:
            raise
        return Disbursement(loan, False)
    return Disbursement(loan, True)


def _disburse(application: LoanApplication, *, by, date, account: BankAccount, channel=None, redo=None) -> Loan:
    product = application.product
    amount = application.amount
    fees = loan_fees(product=product, amount=amount)  # the calculator's figures (fees.py), each to its own account
    principal, paid_out = fees.principal, fees.paid_out
    if paid_out <= 0:  # the product's fees changed since the application: nothing would reach the member
        raise ValidationError({"amount": [f"The fees ({format_money(fees.total)}) would take the whole amount."]})
    if channel is not None:
        channel.check(application=application, amount=paid_out)
    schedule = schedule_build(
        principal=principal,
        annual_rate=application.annual_rate,
        months=application.term_months,
        method=application.method,
        start=date,
        first_due_months=1 + product.grace_months,
    )
    loan = Loan(
        **({"id": redo.pk} if redo is not None else {}),  # a reversed payout is re-booked on its own row
        application=application,
        member=application.member,
        product=product,
        principal=principal,
        amount_paid_out=paid_out,
        processing_fee=fees.processing,
        insurance_fee=fees.insurance,
        application_fee=fees.application,
        annual_rate=application.annual_rate,
        method=application.method,
        term_months=application.term_months,
        disbursed_on=date,
        disbursed_by=by,
    )
    loan.save(force_insert=redo is None, force_update=redo is not None)  # first: the ledger lines name the loan
    member_id = application.member_id
    memo = f"Loan {product.name} to {application.member.membership_number}"
    lines = [
        Line(LOANS, debit=principal, member_id=member_id, loan_id=loan.pk, description=memo),
        Line(channel.credit_code() if channel else account.ledger_account.code, credit=paid_out, description=memo),
    ]
    for code, description, fee in fees.income_lines():
        lines.append(Line(code, credit=fee, member_id=member_id, loan_id=loan.pk, description=description))
    key = f"disbursement:{application.pk}" + (f":after:{redo.disbursement_entry_id}" if redo is not None else "")
    result = ledger_post(memo=memo, lines=lines, idempotency_key=key, posted_by=by, date=date, source="loan")
    loan.disbursement_entry = result.entry
    loan.save(update_fields=["disbursement_entry"])
    LoanInstalment.objects.bulk_create(
        [
            LoanInstalment(loan=loan, number=i.number, due_date=i.due_date, principal=i.principal, interest=i.interest)
            for i in schedule.instalments
        ]
    )
    application.status = ApplicationStatus.DISBURSED
    application.save(update_fields=["status"])
    if channel is not None:
        channel.start(loan=loan, by=by)
    return loan


@dataclass
class RepaymentResult:
    repayment: LoanRepayment
    created: bool


def loan_repay(
    *,
    loan: Loan,
    amount,
    reference: str,
    date: datetime.date | None = None,
    bank_account: BankAccount | None = None,
    recorded_by=None,
    from_unallocated: bool = False,
    notify_member: bool = True,
) -> RepaymentResult:
    """Record money received against a loan, once per reference. The loan row is locked, so simultaneous
    repayments are applied one after the other and none is lost. Allocation: oldest instalment first, and within
    it penalty → interest → principal; anything beyond the whole balance goes to the member's deposits.

    `from_unallocated`: the money is already in the books, held in 2300 Unallocated receipts for this member (a
    check-off row); it moves from there instead of coming in through a bank account.

    `notify_member`: the member is told (SMS and email, once per payment: messages.py) after commit; the check-off
    allocation says False and tells each member once per file instead."""
    amount = _amount(amount, "amount")
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError(
            {"reference": ["A reference (receipt or slip number) is required: it stops a double posting."]}
        )
    if len(reference) > 100:
        raise ValidationError({"reference": ["The reference is longer than 100 characters."]})
    date = date or timezone.localdate()
    if date > timezone.localdate():
        raise ValidationError({"date": ["The payment date cannot be in the future."]})
    if from_unallocated:
        debit_code = UNALLOCATED
    else:
        account = bank_account or bank_account_primary()
        if account is None or not account.active:
            raise ValidationError({"bank_account": ["Choose an active bank account."]})
        debit_code = account.ledger_account.code
    key = f"repayment:{reference}"
    with transaction.atomic():
        locked = Loan.objects.select_for_update(of=("self",)).select_related("member").get(pk=loan.pk)
        existing = LoanRepayment.objects.filter(entry__idempotency_key=key).select_related("loan").first()
        if existing is not None:
            if existing.loan_id != locked.pk or existing.amount != amount:
                raise ValidationError({"reference": [f"{reference!r} was already used for another payment."]})
            return RepaymentResult(existing, False)
        if locked.status == LoanStatus.WRITTEN_OFF:
            # Money recovered after a write-off is income (4300), not a repayment of 1100 (write_off.py).
            from .write_off import write_off_recover  # write_off.py imports this module

            repayment = write_off_recover(
                loan=locked,
                amount=amount,
                key=key,
                reference=reference,
                date=date,
                debit_code=debit_code,
                by=recorded_by,
            )
        elif locked.status != LoanStatus.ACTIVE:
            raise LoanStateError("This loan is closed; the payment cannot be applied to it.")
        else:
            repayment = _apply(
                locked, amount=amount, key=key, reference=reference, date=date, debit_code=debit_code, by=recorded_by
            )
        if notify_member:
            repayment_received_queue(repayment=repayment)
        if recorded_by is not None:
            audit_log(
                instance=repayment,
                action=POST,
                by=recorded_by,
                summary=f"Repayment KES {amount:,.2f}, ref. {reference}, on loan of {locked.member.membership_number}",
            )
    return RepaymentResult(repayment, True)


def _accrue_interest(loan: Loan, instalment: LoanInstalment, by, date) -> None:
    """Interest of one instalment falls due: posted once (`interest:<loan>:<n>`), by the daily job or here."""
    if instalment.interest_accrued or instalment.interest == 0:
        return
    day = min(instalment.due_date, date)
    closed_through = books_closed_through()
    if closed_through is not None and day <= closed_through:  # due in a closed month: recognised in the open one
        day = closed_through + datetime.timedelta(days=1)
    ledger_post(
        memo=f"Interest due, instalment {instalment.number}",
        lines=[
            Line(INTEREST_RECEIVABLE, debit=instalment.interest, member_id=loan.member_id, loan_id=loan.pk),
            Line(INTEREST_INCOME, credit=instalment.interest, member_id=loan.member_id, loan_id=loan.pk),
        ],
        idempotency_key=f"interest:{loan.pk}:{instalment.number}",
        posted_by=by,
        date=day,
        source="loan interest",
    )
    instalment.interest_accrued = True


def _apply(loan: Loan, *, amount, key, reference, date, debit_code: str, by, debit_member_id=None) -> LoanRepayment:
    """`debit_member_id`: the member whose control account (2000 deposits, 2300 unallocated) pays, when it is not the
    borrower's (a guarantor's deposits in a recovery, guarantor_recovery.py)."""
    left = amount
    parts = {"penalty": ZERO, "interest": ZERO, "principal": ZERO}
    changed = []
    for instalment in loan.instalments.select_for_update().order_by("number"):
        if left <= 0:
            break
        touched = False
        for part in ("penalty", "interest", "principal"):
            owed = getattr(instalment, part) - getattr(instalment, f"{part}_paid")
            take = min(owed, left)
            if take > 0:
                if part == "interest":
                    _accrue_interest(loan, instalment, by, date)
                setattr(instalment, f"{part}_paid", getattr(instalment, f"{part}_paid") + take)
                parts[part] += take
                left -= take
                touched = True
        if touched:
            changed.append(instalment)
    overpayment = left
    LoanInstalment.objects.bulk_update(changed, ["penalty_paid", "interest_paid", "principal_paid", "interest_accrued"])
    member_id = loan.member_id
    memo = f"Loan repayment {loan.member.membership_number}"
    # 2300 and 2000 are member control accounts: their lines name the member (ledger_check); bank lines do not. 2000
    # and 1130 are the exit and death offsets (membership_exit.py): the member's deposits, the insurance claim; a
    # recovery from a guarantor debits the guarantor's deposits (debit_member_id, guarantor_recovery.py).
    debit_member = debit_member_id or (member_id if debit_code in (UNALLOCATED, DEPOSITS, INSURANCE_CLAIMS) else None)
    lines = [Line(debit_code, debit=amount, member_id=debit_member, description=memo)]
    for part, code in (("penalty", PENALTIES_RECEIVABLE), ("interest", INTEREST_RECEIVABLE), ("principal", LOANS)):
        if parts[part] > 0:
            lines.append(
                Line(
                    code, credit=parts[part], member_id=member_id, loan_id=loan.pk, description=f"{part.title()} repaid"
                )
            )
    if overpayment > 0:
        lines.append(
            Line(DEPOSITS, credit=overpayment, member_id=member_id, description="Loan overpayment to deposits")
        )
    try:
        result = ledger_post(memo=memo, lines=lines, idempotency_key=key, posted_by=by, date=date, source=reference)
    except IdempotencyConflict as exc:
        # The same reference posted meanwhile for another loan (each request locks only its own loan).
        raise ValidationError({"reference": [f"{reference!r} was already used for another payment."]}) from exc
    repayment = LoanRepayment.objects.create(
        loan=loan,
        amount=amount,
        date=date,
        reference=reference,
        penalty_part=parts["penalty"],
        interest_part=parts["interest"],
        principal_part=parts["principal"],
        overpayment=overpayment,
        entry=result.entry,
        recorded_by=by,
    )
    if overpayment > 0:
        summaries_refresh(member_ids=[member_id])
    if not any(i.outstanding > 0 for i in loan.instalments.all()):
        loan.status = LoanStatus.CLOSED
        loan.closed_on = date
        loan.save(update_fields=["status", "closed_on"])
        _guarantees_release(loan.application)
    return repayment


def loan_settle(
    *,
    loan: Loan,
    amount,
    reference: str,
    date: datetime.date | None = None,
    bank_account: BankAccount | None = None,
    recorded_by=None,
) -> RepaymentResult:
    """Early settlement (L12): kept for its callers; the rule and the postings live in settlement.py."""
    from .settlement import loan_settle_early  # settlement.py builds on this module

    return loan_settle_early(
        loan=loan, amount=amount, reference=reference, date=date, bank_account=bank_account, recorded_by=recorded_by
    )


def application_withdraw(*, application: LoanApplication, by_member: Member) -> LoanApplication:
    """The applicant withdraws an application that is not decided yet; its guarantees are released."""
    with transaction.atomic():
        locked = LoanApplication.objects.select_for_update(of=("self",)).get(pk=application.pk)
        if locked.member_id != by_member.pk:
            raise LoanStateError("Only the applicant withdraws an application.")
        if locked.status != ApplicationStatus.SUBMITTED:
            raise LoanStateError(f"This application is already {locked.get_status_display().lower()}.")
        locked.status = ApplicationStatus.WITHDRAWN
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_at"])
        _guarantees_release(locked)
        # approval.py imports this module (the decisions it carries out): imported here to break that cycle.
        from .approval import loan_review_cancel

        loan_review_cancel(application=locked, by=by_member.user)
    application.refresh_from_db()
    return application
