"""A loan's restructure and its write-off (issue 16): proposals a loans officer or the treasurer prepares and two
distinct credit committee members approve in the Wagtail workflow "Loan restructure and write-off"; the preparer
and the borrower never act on them. The services that carry them out are restructure.py and write_off.py.

Imported by models.py (at its end), so Django finds them there as `portal.loans.models.LoanRestructure`."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.society.money import format_money
from portal.society.money_fields import MoneyField
from portal.workflows.records import ApprovalRecord
from portal.workflows.summary import ApprovalSummary

from .models import RATE, Classification, Loan


def _principal_outstanding(loan: Loan) -> Decimal:
    return sum((i.principal - i.principal_paid for i in loan.instalments.all()), Decimal("0.00"))


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the committee")
    APPLIED = "applied", _("Approved and carried out")
    REJECTED = "rejected", _("Rejected")


class _LoanProposal(ApprovalRecord):
    """What a restructure and a write-off share: the loan, who prepared it and why, and the decision."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reason = models.TextField(help_text=_("Why, for the committee."))
    status = models.CharField(max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PENDING)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    prepared_at = models.DateTimeField(default=timezone.now, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    decision_reason = models.CharField(max_length=1000, blank=True, editable=False)
    entry = models.ForeignKey(
        "finance.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )

    class Meta:
        abstract = True

    def conflicted_user_ids(self) -> set:
        """Maker-checker: the preparer does not approve; the borrower never decides their own loan."""
        ids = {self.loan.member.user_id}
        if self.prepared_by_id:
            ids.add(self.prepared_by_id)
        return ids

    @property
    def waiting_for(self) -> str:
        state = self.current_workflow_task_state
        return state.task.name if state is not None and state.status == "in_progress" else "—"


class LoanRestructure(_LoanProposal):
    """A new term, rate or payment holiday for what is outstanding on a loan. Carried out on approval: the old
    schedule's rows are marked superseded (kept), a new schedule version is built from the outstanding balance.

    The loan keeps the classification it had when restructured (`classification_held`) until it has made
    `cure_payments` consecutive on-time instalments of the new schedule (`cured_on`), as SASRA requires."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="restructures")
    term_months = models.PositiveSmallIntegerField(help_text=_("Months of the new schedule (after any holiday)."))
    annual_rate = models.DecimalField("interest rate (% a year)", **RATE)
    holiday_months = models.PositiveSmallIntegerField(
        default=0, help_text=_("Months with no instalment before the first one; their interest is due with it.")
    )
    # Filled in when carried out.
    applied_on = models.DateField(null=True, blank=True, editable=False)
    principal_before = MoneyField(default=0, editable=False, help_text="Outstanding principal restructured.")
    interest_capitalised = MoneyField(default=0, editable=False)
    penalty_capitalised = MoneyField(default=0, editable=False)
    new_principal = MoneyField(default=0, editable=False)
    schedule_version = models.PositiveSmallIntegerField(default=0, editable=False)
    classification_held = models.CharField(max_length=12, choices=Classification.choices, blank=True, editable=False)
    cure_payments = models.PositiveSmallIntegerField(default=3, editable=False)
    cured_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-prepared_at"]
        verbose_name = "loan restructure"
        permissions = [("prepare_loanrestructure", "Can prepare loan restructures")]

    def __str__(self):
        return f"Restructure of {self.loan.member} — {self.term_months} months at {self.annual_rate}%"

    def approval_summary(self) -> ApprovalSummary:
        loan = self.loan
        member = loan.member
        holiday = f", {self.holiday_months} months' holiday" if self.holiday_months else ""
        return ApprovalSummary(
            kind="Loan restructure",
            subject=f"{member.full_name} ({member.membership_number})",
            what=f"{loan.product}: {self.term_months} months at {self.annual_rate.normalize():f} %{holiday} "
            f"(classified {loan.get_classification_display().lower()})",
            amount=self.new_principal if self.status == ProposalStatus.APPLIED else _principal_outstanding(loan),
        )


class LoanWriteOff(_LoanProposal):
    """A loss-class loan written off against the provision. Carried out on approval (write_off.py): the loan leaves
    the balance sheet and this row is its memo record — what was written off and what has been recovered since
    (recoveries go to 4300 Recoveries of loans written off)."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="write_offs")
    written_off_on = models.DateField(null=True, blank=True, editable=False)
    principal = MoneyField(default=0, editable=False)
    interest = MoneyField(default=0, editable=False)
    penalty = MoneyField(default=0, editable=False)
    recovered = MoneyField(default=0, editable=False)

    class Meta:
        ordering = ["-prepared_at"]
        verbose_name = "loan write-off"
        permissions = [("prepare_loanwriteoff", "Can prepare loan write-offs")]

    def __str__(self):
        return f"Write-off of {self.loan.member}'s {self.loan.product}"

    @property
    def amount(self) -> Decimal:
        return self.principal + self.interest + self.penalty

    @property
    def memo_balance(self) -> Decimal:
        """Still owed off the balance sheet: written off less recovered (never below zero)."""
        return max(self.amount - self.recovered, Decimal("0.00"))

    def approval_summary(self) -> ApprovalSummary:
        loan = self.loan
        member = loan.member
        return ApprovalSummary(
            kind="Loan write-off",
            subject=f"{member.full_name} ({member.membership_number})",
            what=f"{loan.product}, {loan.days_past_due} days past due, {loan.get_classification_display().lower()}"
            + (f"; written off {format_money(self.amount)}" if self.status == ProposalStatus.APPLIED else ""),
            amount=self.principal if self.status == ProposalStatus.APPLIED else _principal_outstanding(loan),
        )
