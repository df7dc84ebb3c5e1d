"""A member's position on loans, for their dashboard and GET /api/members/dashboard/: what they owe and when the next
payment falls, what is overdue, what their guarantees still hold, and what their applications wait for.

One query finds every application that concerns the member (their own in progress, their active loans, the loans
they guarantee); schedules, guarantees and workflow steps are prefetched only when there are rows, so a member with
nothing costs one query and one with loans, guarantees and applications a handful, however long the schedules.

Rules (docs/loans.md, shared/spec/domain.md): outstanding principal is the schedule's principal not yet repaid, the
same figure as the ledger's loan book (1100) for that loan; an instalment is overdue when its due date has passed
with principal, interest or penalty unpaid, and days past due count from the oldest such due date (as the daily
job's `loans_classify`); a guarantee holds its full amount until it is released (when the application ends or the
loan closes), unless *SACCO settings → guarantees shrink* is on: then a paid-out loan's guarantee holds only its
share of the principal left (guarantee_shrink.py), as free deposits count it."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from wagtail.models import WorkflowState

from portal.members.models import Member

from .guarantee_shrink import guarantees_shrink_on, shrunk_amount
from .models import ApplicationStatus, Guarantee, GuaranteeStatus, LoanApplication, LoanStatus

ZERO = Decimal("0.00")
HELD = (GuaranteeStatus.REQUESTED, GuaranteeStatus.ACCEPTED)


@dataclass(frozen=True)
class NextInstalment:
    number: int
    due_date: datetime.date
    amount: Decimal  # what is still to pay on it (all of it unless paid ahead)


@dataclass(frozen=True)
class Arrears:
    amount: Decimal  # principal, interest and penalties of instalments past their due date, unpaid
    days: int  # since the oldest unpaid due date
    since: datetime.date
    instalments: int


@dataclass(frozen=True)
class LoanPosition:
    id: object
    product: str
    principal: Decimal
    disbursed_on: datetime.date
    outstanding_principal: Decimal  # = the ledger's loan book (1100) for this loan
    still_to_pay: Decimal  # the schedule left: principal, interest and penalties
    next_instalment: NextInstalment | None
    arrears: Arrears | None


@dataclass(frozen=True)
class GuaranteePosition:
    id: object
    borrower: str
    borrower_number: str
    product: str
    loan_amount: Decimal  # what the borrower asked for
    amount: Decimal  # what the member promised
    status: str
    status_display: str
    held: Decimal  # what the promise still holds of the member's deposits: all of it, or its share if they shrink
    loan_outstanding: Decimal | None  # the borrower's outstanding principal once the loan is paid out


@dataclass(frozen=True)
class ApplicationPosition:
    id: object
    product: str
    amount: Decimal
    term_months: int
    created_at: datetime.datetime
    status: str
    status_display: str
    stage: str  # guarantors | review | cover | disbursement
    waiting_for: str


@dataclass(frozen=True)
class MemberLoanPosition:
    loans: list[LoanPosition]
    guarantees: list[GuaranteePosition]
    applications: list[ApplicationPosition]
    guarantees_shrink: bool = False  # the society's setting, read only when the member guarantees something

    @property
    def outstanding_principal(self) -> Decimal:
        return sum((loan.outstanding_principal for loan in self.loans), ZERO)

    @property
    def arrears(self) -> Decimal:
        return sum((loan.arrears.amount for loan in self.loans if loan.arrears), ZERO)

    @property
    def guaranteed_held(self) -> Decimal:
        return sum((g.held for g in self.guarantees), ZERO)

    @property
    def next_payment(self) -> NextInstalment | None:
        """The earliest next instalment across the member's loans (None when none falls due from today on)."""
        upcoming = [loan.next_instalment for loan in self.loans if loan.next_instalment]
        return min(upcoming, key=lambda i: i.due_date) if upcoming else None

    @property
    def is_empty(self) -> bool:
        return not (self.loans or self.guarantees or self.applications)


def member_loan_position(*, member: Member, today: datetime.date, shrink: bool | None = None) -> MemberLoanPosition:
    """The member's active loans, the guarantees they give that still hold, and their applications in progress.

    `shrink`: the society's *guarantees shrink* setting when the caller has it already (the portal reads the
    settings for the page anyway); otherwise it is read here, only for a member who guarantees something."""
    in_progress = Q(member=member, status__in=[ApplicationStatus.SUBMITTED, ApplicationStatus.APPROVED])
    borrowing = Q(member=member, loan__status=LoanStatus.ACTIVE)
    guaranteeing = Exists(Guarantee.objects.filter(application=OuterRef("pk"), guarantor=member, status__in=HELD))
    rows = list(
        LoanApplication.objects.filter(in_progress | borrowing | guaranteeing)
        .select_related("product", "member__user", "loan", "review")
        .prefetch_related(
            "loan__instalments",
            Prefetch("guarantees", queryset=Guarantee.objects.select_related("guarantor__user").order_by("created_at")),
            Prefetch(
                "review__workflow_states",
                queryset=WorkflowState.objects.filter(status=WorkflowState.STATUS_IN_PROGRESS).select_related(
                    "current_task_state__task"
                ),
                to_attr="open_workflows",
            ),
        )
        .order_by("created_at")
    )
    loans, guarantees, applications = [], [], []
    for application in rows:
        loan = getattr(application, "loan", None)
        if application.member_id == member.pk:
            if loan is not None and loan.status == LoanStatus.ACTIVE:
                loans.append(_loan_position(loan, application, today))
            elif application.status in (ApplicationStatus.SUBMITTED, ApplicationStatus.APPROVED):
                applications.append(_application_position(application))
        for guarantee in application.guarantees.all():
            if guarantee.guarantor_id == member.pk and guarantee.status in HELD:
                shrink = guarantees_shrink_on() if shrink is None else shrink
                guarantees.append(_guarantee_position(guarantee, application, loan, shrink))
    loans.sort(key=lambda p: p.disbursed_on)
    return MemberLoanPosition(loans, guarantees, applications, bool(shrink))


def _loan_position(loan, application, today) -> LoanPosition:
    instalments = loan.instalments.all()  # prefetched, in schedule order
    outstanding = sum((i.principal - i.principal_paid for i in instalments), ZERO)
    still_to_pay = sum((i.outstanding for i in instalments), ZERO)
    overdue = [i for i in instalments if i.due_date < today and i.outstanding > 0]
    upcoming = next((i for i in instalments if i.due_date >= today and i.outstanding > 0), None)
    arrears = None
    if overdue:
        since = min(i.due_date for i in overdue)
        arrears = Arrears(sum((i.outstanding for i in overdue), ZERO), (today - since).days, since, len(overdue))
    return LoanPosition(
        id=loan.pk,
        product=application.product.name,
        principal=loan.principal,
        disbursed_on=loan.disbursed_on,
        outstanding_principal=outstanding,
        still_to_pay=still_to_pay,
        next_instalment=NextInstalment(upcoming.number, upcoming.due_date, upcoming.outstanding) if upcoming else None,
        arrears=arrears,
    )


def _guarantee_position(guarantee, application, loan, shrink: bool) -> GuaranteePosition:
    loan_outstanding = None
    held = guarantee.amount  # docs/loans.md: held in full until released, unless guarantees shrink
    if loan is not None:
        loan_outstanding = sum((i.principal - i.principal_paid for i in loan.instalments.all()), ZERO)
        if shrink and loan.status == LoanStatus.ACTIVE:
            held = shrunk_amount(amount=guarantee.amount, outstanding=loan_outstanding, principal=loan.principal)
    return GuaranteePosition(
        id=guarantee.pk,
        borrower=application.member.full_name,
        borrower_number=application.member.membership_number,
        product=application.product.name,
        loan_amount=application.amount,
        amount=guarantee.amount,
        status=guarantee.status,
        status_display=guarantee.get_status_display(),
        held=held,
        loan_outstanding=loan_outstanding,
    )


def _application_position(application) -> ApplicationPosition:
    stage, waiting_for = _waiting_for(application)
    return ApplicationPosition(
        id=application.pk,
        product=application.product.name,
        amount=application.amount,
        term_months=application.term_months,
        created_at=application.created_at,
        status=application.status,
        status_display=application.get_status_display(),
        stage=stage,
        waiting_for=waiting_for,
    )


def _waiting_for(application) -> tuple[str, str]:
    """What the application waits for next, as (stage, sentence): the guarantors, a workflow step, or the payout."""
    if application.status == ApplicationStatus.APPROVED:
        return "disbursement", _("Approved: waiting for the treasurer to pay it out.")
    guarantees = list(application.guarantees.all())
    waiting = [g.guarantor.full_name for g in guarantees if g.status == GuaranteeStatus.REQUESTED]
    if waiting:
        return "guarantors", ngettext(
            "Waiting for %(count)d guarantor to answer: %(names)s.",
            "Waiting for %(count)d guarantors to answer: %(names)s.",
            len(waiting),
        ) % {"count": len(waiting), "names": ", ".join(waiting)}
    review = getattr(application, "review", None)
    open_workflows = review.open_workflows if review is not None else []
    task_state = open_workflows[0].current_task_state if open_workflows else None
    if task_state is not None:
        return "review", _("Waiting for review: %(step)s.") % {"step": task_state.task.name}
    accepted = sum((g.amount for g in guarantees if g.status == GuaranteeStatus.ACCEPTED), ZERO)
    if accepted < application.cover_needed:
        return "cover", _("Accepted guarantees do not cover the loan; withdraw it and apply with other guarantors.")
    return "review", _("Waiting for the loans office to review it.")
