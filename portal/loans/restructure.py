"""Rescheduling and restructuring a loan (issue 16): a new term, rate or payment holiday for what is outstanding,
prepared by a loans officer, the treasurer or an administrator and approved by two distinct credit committee members
in the workflow "Loan restructure and write-off" (never the preparer, never the borrower).

Carried out on approval (`restructure_apply`, called by the workflow's end):
- the balance: outstanding principal (Σ principal − principal paid of the current schedule) plus what is receivable —
  interest fallen due and unpaid (1110) and penalties unpaid (1120). Those receivables are CAPITALISED into the new
  principal with one balanced entry, Dr 1100 / Cr 1110, Cr 1120 (`restructure:<id>`), so the new schedule carries
  the whole debt and the old rows owe nothing the ledger still holds. Interest of instalments not yet due is not
  owed and is not carried over: the new schedule charges its own interest from the restructure date.
- the old schedule's rows are kept, marked `superseded` (the default manager hides them; `all_versions` shows
  them); the new schedule (schedule.py, the loan's method) is version n + 1, numbered on after the old rows so
  the ledger keys `interest:<loan>:<n>` stay unique.
- a payment holiday of h months: the first instalment falls due h + 1 months after the restructure; nothing is
  due in the holiday. Interest still runs on the balance: the holiday's simple interest, cents(P × r × h) with r
  the monthly rate, is added to the first instalment's interest (it falls due — Dr 1110 / Cr 4000 — with it).
- classification (SASRA): the loan keeps the class it had (`classification_held`) until it has paid
  `cure_payments` consecutive instalments of the new schedule on time (settings.LOAN_RESTRUCTURE_CURE_PAYMENTS,
  3 by default); `restructure_hold` is what the daily job (jobs.loans_classify) asks.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from portal.audit.services import ACTION, POST, audit_log
from portal.finance.ledger.services import Line, ledger_post
from portal.society.money import format_money
from portal.workflows.services import workflow_act, workflow_submit

from .models import (
    Classification,
    Loan,
    LoanInstalment,
    LoanRepayment,
    LoanRestructure,
    LoanStatus,
    ProposalStatus,
)
from .schedule import cents, monthly_rate, schedule_build
from .services import INTEREST_RECEIVABLE, LOANS, PENALTIES_RECEIVABLE, LoanStateError

ZERO = Decimal("0.00")
MAX_TERM_MONTHS = 120
MAX_HOLIDAY_MONTHS = 12
# Worst last: a held class is kept unless the days past due make the loan worse.
CLASS_ORDER = [c.value for c in Classification]


def cure_payments_setting() -> int:
    """How many consecutive on-time instalments return a restructured loan to its own class (SASRA: 3)."""
    return int(getattr(settings, "LOAN_RESTRUCTURE_CURE_PAYMENTS", 3))


def _int(raw, field: str, *, low: int, high: int) -> int:
    if isinstance(raw, bool) or isinstance(raw, float):
        raise ValidationError({field: ["Give a whole number."]})
    try:
        value = int(str(raw))
    except (TypeError, ValueError) as exc:
        raise ValidationError({field: ["Give a whole number."]}) from exc
    if not low <= value <= high:
        raise ValidationError({field: [f"Give a number from {low} to {high}."]})
    return value


def _rate(raw) -> Decimal:
    try:
        if isinstance(raw, float | bool):
            raise ValueError
        value = Decimal(str(raw))
    except (ArithmeticError, ValueError, TypeError) as exc:
        raise ValidationError({"annual_rate": ["Give the rate as a number, e.g. 12.5."]}) from exc
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(100) or value != value.quantize(Decimal("0.0001")):
        raise ValidationError({"annual_rate": ["Give a rate from 0 to 100 % a year, at most 4 decimal places."]})
    return value


def restructure_prepare(
    *, loan: Loan, term_months, reason: str, by, annual_rate=None, holiday_months=0
) -> LoanRestructure:
    """Propose new terms for an active loan and start the committee's workflow. One proposal per loan at a time;
    the rate defaults to the loan's own."""
    term = _int(term_months, "term_months", low=1, high=MAX_TERM_MONTHS)
    holiday = _int(
        holiday_months if holiday_months is not None else 0, "holiday_months", low=0, high=MAX_HOLIDAY_MONTHS
    )
    rate = loan.annual_rate if annual_rate is None else _rate(annual_rate)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Say why the loan is restructured; the committee reads it."]})
    with transaction.atomic():
        locked = Loan.objects.select_for_update(of=("self",)).select_related("member").get(pk=loan.pk)
        if locked.status != LoanStatus.ACTIVE:
            raise LoanStateError(f"Only an active loan is restructured; this one is {locked.get_status_display()}.")
        if locked.member.user_id == getattr(by, "pk", None):
            raise LoanStateError("Nobody restructures their own loan.")
        if (
            LoanRestructure.objects.filter(loan=locked, status=ProposalStatus.PENDING).exists()
            or locked.write_offs.filter(status=ProposalStatus.PENDING).exists()
        ):
            raise LoanStateError("This loan already has a restructure or write-off waiting for the committee.")
        record = LoanRestructure.objects.create(
            loan=locked,
            term_months=term,
            annual_rate=rate,
            holiday_months=holiday,
            reason=reason[:1000],
            prepared_by=by,
            live=False,
        )
        workflow_submit(
            obj=record,
            by=by,
            missing=LoanStateError("No approval workflow is set up for loan restructures (Settings → Workflows)."),
        )
        audit_log(
            instance=record,
            action=ACTION,
            by=by,
            summary=f"Restructure prepared: {term} months at {rate}% with {holiday} months' holiday; {reason[:200]}",
        )
    return record


def restructure_decide(*, restructure: LoanRestructure, user, action: str, reason: str = "") -> LoanRestructure:
    """One committee member's vote (the API; the admin's buttons do the same through the workflow)."""
    workflow_act(
        obj=restructure,
        user=user,
        action=action,
        reason=reason,
        reason_message="Say why the restructure is rejected.",
        not_waiting=LoanStateError("This restructure is not waiting for a decision."),
        refused="You cannot {action} this restructure (not on the committee, already voted, or you prepared it).",
    )
    restructure.refresh_from_db()
    return restructure


def restructure_reject(*, restructure: LoanRestructure, user=None, reason: str = "") -> None:
    """The committee rejected it: nothing was posted, the loan runs on as it was."""
    LoanRestructure.objects.filter(pk=restructure.pk, status=ProposalStatus.PENDING).update(
        status=ProposalStatus.REJECTED, decided_at=timezone.now(), decision_reason=(reason or "")[:1000]
    )


def _receivable(rows) -> tuple[Decimal, Decimal, Decimal]:
    principal = sum((r.principal - r.principal_paid for r in rows), ZERO)
    interest = sum((r.interest - r.interest_paid for r in rows if r.interest_accrued), ZERO)
    penalty = sum((r.penalty - r.penalty_paid for r in rows), ZERO)
    return principal, interest, penalty


def restructure_apply(
    *, restructure: LoanRestructure, user=None, reason: str = "", today: datetime.date | None = None
) -> LoanRestructure:
    """Carry out an approved restructure once (see the module's docstring for the rule). Idempotent: a second call
    finds it applied and does nothing."""
    today = today or timezone.localdate()
    with transaction.atomic():
        loan = Loan.objects.select_for_update(of=("self",)).select_related("member").get(pk=restructure.loan_id)
        record = LoanRestructure.objects.select_for_update().get(pk=restructure.pk)
        if record.status != ProposalStatus.PENDING:
            return record
        if loan.status != LoanStatus.ACTIVE:
            record.status, record.decision_reason = ProposalStatus.REJECTED, "The loan is no longer active."
            record.decided_at = timezone.now()
            record.save(update_fields=["status", "decision_reason", "decided_at"])
            return record
        rows = list(LoanInstalment.objects.select_for_update().filter(loan=loan).order_by("number"))
        principal, interest, penalty = _receivable(rows)
        new_principal = principal + interest + penalty
        if new_principal <= 0:
            raise LoanStateError("Nothing is outstanding on this loan to restructure.")
        member_id = loan.member_id
        entry = None
        if interest + penalty > 0:
            memo = f"Loan restructured: arrears capitalised, {loan.member.membership_number}"
            lines = [Line(LOANS, debit=interest + penalty, member_id=member_id, loan_id=loan.pk, description=memo)]
            if interest:
                lines.append(Line(INTEREST_RECEIVABLE, credit=interest, member_id=member_id, loan_id=loan.pk))
            if penalty:
                lines.append(Line(PENALTIES_RECEIVABLE, credit=penalty, member_id=member_id, loan_id=loan.pk))
            entry = ledger_post(
                memo=memo,
                lines=lines,
                idempotency_key=f"restructure:{record.pk}",
                posted_by=user,
                date=today,
                source="loan restructure",
            ).entry
        version = (LoanInstalment.all_versions.filter(loan=loan).aggregate(v=Max("schedule_version"))["v"] or 1) + 1
        last_number = LoanInstalment.all_versions.filter(loan=loan).aggregate(n=Max("number"))["n"] or 0
        LoanInstalment.objects.filter(pk__in=[r.pk for r in rows]).update(superseded=True)
        schedule = schedule_build(
            principal=new_principal,
            annual_rate=record.annual_rate,
            months=record.term_months,
            method=loan.method,
            start=today,
            first_due_months=1 + record.holiday_months,
        )
        holiday_interest = cents(new_principal * monthly_rate(record.annual_rate) * record.holiday_months)
        LoanInstalment.objects.bulk_create(
            [
                LoanInstalment(
                    loan=loan,
                    number=last_number + i.number,
                    due_date=i.due_date,
                    principal=i.principal,
                    interest=i.interest + (holiday_interest if i.number == 1 else ZERO),
                    schedule_version=version,
                )
                for i in schedule.instalments
            ]
        )
        before = f"{loan.term_months} months at {loan.annual_rate.normalize():f}%"
        loan.annual_rate, loan.term_months = record.annual_rate, record.term_months
        loan.save(update_fields=["annual_rate", "term_months"])
        record.status = ProposalStatus.APPLIED
        record.decided_at = timezone.now()
        record.decision_reason = (reason or "")[:1000]
        record.applied_on = today
        record.principal_before = principal
        record.interest_capitalised = interest
        record.penalty_capitalised = penalty
        record.new_principal = new_principal
        record.schedule_version = version
        record.classification_held = loan.classification
        record.cure_payments = cure_payments_setting()
        record.entry = entry
        record.save()
        audit_log(
            instance=loan,
            action=POST,
            by=user,
            summary=f"Restructured from {before} to {record.term_months} months at "
            f"{record.annual_rate.normalize():f}% ({record.holiday_months} months' holiday): principal "
            f"{format_money(principal)} + interest {format_money(interest)} + penalties {format_money(penalty)} = "
            f"{format_money(new_principal)}; schedule version {version}; kept {loan.get_classification_display()}",
        )
    return record


def _worse(a: str, b: str) -> str:
    return a if CLASS_ORDER.index(a) >= CLASS_ORDER.index(b) else b


def restructure_hold(*, loan_ids, today: datetime.date) -> dict:
    """The class each restructured, not yet cured loan must keep at least: {loan id: held class}. A loan whose
    new schedule shows `cure_payments` consecutive instalments paid by their due dates is cured (recorded on the
    restructure, once) and held no more. An instalment is paid on time when the repayments made from the
    restructure to its due date cover every instalment of the new schedule up to it (allocation is oldest
    first); one due today and not yet paid neither counts nor breaks the run."""
    holds = {}
    records = LoanRestructure.objects.filter(
        loan_id__in=loan_ids, status=ProposalStatus.APPLIED, cured_on__isnull=True
    ).order_by("loan_id", "-applied_on", "-prepared_at")
    latest = {}
    for record in records:
        latest.setdefault(record.loan_id, record)
    # Set-based (the nightly job asks for every restructured loan): three reads for all the loans, then one pass
    # per loan in Python over its rows — no query per loan or per instalment.
    last_applied = dict(
        LoanRestructure.objects.filter(loan_id__in=list(latest), status=ProposalStatus.APPLIED)
        .values("loan_id")
        .annotate(last=Max("applied_on"))
        .values_list("loan_id", "last")
    )
    latest = {loan_id: r for loan_id, r in latest.items() if last_applied.get(loan_id, r.applied_on) <= r.applied_on}
    schedules: dict = {}
    for row in LoanInstalment.objects.filter(loan_id__in=list(latest), due_date__lte=today).order_by("number"):
        if row.schedule_version == latest[row.loan_id].schedule_version:
            schedules.setdefault(row.loan_id, []).append(row)
    payments: dict = {}
    for loan_id, date, principal_part, interest_part in (
        LoanRepayment.objects.filter(loan_id__in=list(latest))
        .order_by("date")
        .values_list("loan_id", "date", "principal_part", "interest_part")
    ):
        if date >= latest[loan_id].applied_on:
            payments.setdefault(loan_id, []).append((date, principal_part + interest_part))
    cured_ids = []
    for loan_id, record in latest.items():
        paid_in = payments.get(loan_id, [])
        streak, cumulative_due, cured, paid_total, taken = 0, ZERO, False, ZERO, 0
        for row in schedules.get(loan_id, []):
            cumulative_due += row.principal + row.interest
            # Penalties are left out on both sides: they arise only from lateness. Repayments up to the due date.
            while taken < len(paid_in) and paid_in[taken][0] <= row.due_date:
                paid_total += paid_in[taken][1]
                taken += 1
            if paid_total >= cumulative_due:
                streak += 1
            elif row.due_date == today:
                break
            else:
                streak = 0
            if streak >= record.cure_payments:
                cured = True
                break
        if cured:
            cured_ids.append(record.pk)
        else:
            holds[loan_id] = record.classification_held
    if cured_ids:
        LoanRestructure.objects.filter(pk__in=cured_ids).update(cured_on=today)
    return holds


def classification_with_hold(bucket: str, held: str | None) -> str:
    """The worse of the class the days past due give and the class a restructure holds."""
    return _worse(bucket, held) if held else bucket
