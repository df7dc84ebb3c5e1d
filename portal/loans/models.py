"""Loan products (L1), the public loan calculator page (S2), applications, loans, their schedules and repayments.

Money moves only through `portal/loans/services.py`, which posts to the ledger; these rows record what was
posted and are not edited by hand."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.models import Page

from portal.society.money_fields import MoneyField
from portal.workflows.records import ApprovalRecord

from .schedule import Method

RATE = {"max_digits": 7, "decimal_places": 4}
# The schedule module stays free of Django; the same labels as Method.CHOICES, marked for translation.
METHOD_CHOICES = [
    (Method.ANNUITY, _("Reducing balance, equal instalments")),
    (Method.EQUAL_PRINCIPAL, _("Reducing balance, equal principal")),
    (Method.FLAT, _("Flat rate")),
]


class FeeTreatment(models.TextChoices):
    DEDUCTED = "deducted", _("Deducted from the amount paid out")
    CAPITALISED = "capitalised", _("Added to the loan")


class PenaltyKind(models.TextChoices):
    """How the nightly job charges an overdue instalment, once a month (jobs.penalties_charge, fees.penalty_amount)."""

    PERCENT = "percent", _("A percentage of the arrears")
    FIXED = "fixed", _("A fixed amount per overdue instalment")


class LoanProduct(models.Model):
    """A kind of loan the SACCO offers. Every rate and limit here is what the calculator, eligibility and
    disbursement read; changing a product never changes loans already given."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(unique=True)
    summary = models.CharField(max_length=255, help_text="One sentence for the product list.")
    description = models.TextField(blank=True)
    annual_rate = models.DecimalField(
        "interest rate (% a year)", **RATE, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    method = models.CharField(max_length=20, choices=METHOD_CHOICES, default=Method.ANNUITY)
    min_term_months = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    max_term_months = models.PositiveSmallIntegerField(default=36, validators=[MinValueValidator(1)])
    min_amount = MoneyField(default=Decimal("1000.00"), validators=[MinValueValidator(Decimal("1"))])
    max_amount = MoneyField(default=Decimal("1000000.00"))
    deposits_multiple = models.DecimalField(
        "multiple of deposits",
        max_digits=5,
        decimal_places=2,
        default=Decimal("3.00"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    guarantors_required = models.PositiveSmallIntegerField(default=2)
    processing_fee_percent = models.DecimalField(**RATE, default=Decimal("1.0000"), validators=[MinValueValidator(0)])
    insurance_fee_percent = models.DecimalField(**RATE, default=Decimal("0.5000"), validators=[MinValueValidator(0)])
    fee_treatment = models.CharField(max_length=12, choices=FeeTreatment.choices, default=FeeTreatment.DEDUCTED)
    penalty_rate_monthly = models.DecimalField(
        "penalty (% a month of the overdue amount)",
        **RATE,
        default=Decimal("1.0000"),
        validators=[MinValueValidator(0)],
    )
    grace_months = models.PositiveSmallIntegerField(
        default=0, help_text="Months between disbursement and the first instalment, beyond the usual one."
    )
    # Issue 16: the application fee and the penalty's kind, fixed amount and grace days (fees.py says how each works).
    application_fee = MoneyField(
        "application fee (KES)",
        default=Decimal("0.00"),
        validators=[MinValueValidator(0)],
        help_text="A fixed amount, charged with the other fees when the loan is paid out (to 4130).",
    )
    penalty_kind = models.CharField(max_length=8, choices=PenaltyKind.choices, default=PenaltyKind.PERCENT)
    penalty_fixed_amount = MoneyField(
        "fixed penalty (KES per overdue instalment a month)",
        default=Decimal("0.00"),
        validators=[MinValueValidator(0)],
    )
    penalty_grace_days = models.PositiveSmallIntegerField(
        default=0,
        help_text="No penalty until an instalment is more than this many days overdue (0: from the day after it "
        "falls due).",
    )
    active = models.BooleanField(default=True, help_text="Inactive products take no new applications.")
    disburse_by_mpesa = models.BooleanField(
        _("disburse by M-Pesa"),
        default=False,
        help_text=_("The treasurer's disbursement sends the money to the member's phone (M-Pesa B2C)."),
    )
    # Issue 16: early settlement and top-ups (settlement.py, top_up.py).
    settlement_interest_months = models.PositiveSmallIntegerField(
        _("interest charged on early settlement (months)"),
        default=0,
        help_text=_(
            "Months of interest not yet due still charged when the loan is settled early or topped up; "
            "0 waives all interest not yet due."
        ),
    )
    top_up_fee_percent = models.DecimalField(
        _("top-up fee (% of the new loan)"), **RATE, default=Decimal("0.0000"), validators=[MinValueValidator(0)]
    )
    top_up_fee_fixed = MoneyField(
        _("top-up fee (fixed)"),
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Added to the percentage; deducted from what the member receives, to 4120 Loan top-up fees."),
    )

    panels = [
        MultiFieldPanel(
            [FieldPanel("name"), FieldPanel("slug"), FieldPanel("summary"), FieldPanel("description")],
            heading="Product",
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("annual_rate"), FieldPanel("method")]),
                FieldRowPanel([FieldPanel("min_term_months"), FieldPanel("max_term_months")]),
                FieldRowPanel([FieldPanel("min_amount"), FieldPanel("max_amount")]),
                FieldRowPanel([FieldPanel("deposits_multiple"), FieldPanel("guarantors_required")]),
            ],
            heading="Terms",
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("processing_fee_percent"), FieldPanel("insurance_fee_percent")]),
                FieldPanel("fee_treatment"),
                FieldRowPanel([FieldPanel("penalty_rate_monthly"), FieldPanel("grace_months")]),
                FieldPanel("application_fee"),
                FieldRowPanel(
                    [FieldPanel("penalty_kind"), FieldPanel("penalty_fixed_amount"), FieldPanel("penalty_grace_days")]
                ),
                FieldRowPanel([FieldPanel("top_up_fee_percent"), FieldPanel("top_up_fee_fixed")]),
                FieldPanel("settlement_interest_months"),
            ],
            heading="Fees and penalties",
        ),
        FieldPanel("disburse_by_mpesa"),
        FieldPanel("active"),
    ]

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.max_term_months is not None and self.min_term_months and self.max_term_months < self.min_term_months:
            errors["max_term_months"] = "The longest term cannot be shorter than the shortest."
        if self.max_amount is not None and self.min_amount is not None and self.max_amount < self.min_amount:
            errors["max_amount"] = "The largest amount cannot be smaller than the smallest."
        if self.penalty_kind == PenaltyKind.FIXED and not (self.penalty_fixed_amount or 0) > 0:
            errors["penalty_fixed_amount"] = "A fixed penalty needs its amount (KES per overdue instalment a month)."
        if errors:
            raise ValidationError(errors)

    @property
    def is_flat(self) -> bool:
        return self.method == Method.FLAT


class LoanCalculatorPage(Page):
    """The public loan calculator: pick a product, an amount and a term; the schedule is computed on the server
    (it works without JavaScript) from the product's own rate and method."""

    intro = models.TextField(blank=True)
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        # Imported here: calculator.py builds its form from LoanProduct, defined in this module.
        from .calculator import calculator_context

        context = super().get_context(request, *args, **kwargs)
        context.update(calculator_context(request.GET))
        return context


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    DISBURSED = "disbursed", _("Disbursed")


class LoanApplication(models.Model):
    """A member's request for a loan (L3). The terms are copied from the product when it is made, so a later
    product change does not move an application already in review."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="loan_applications")
    product = models.ForeignKey(LoanProduct, on_delete=models.PROTECT, related_name="applications")
    amount = MoneyField()
    term_months = models.PositiveSmallIntegerField()
    purpose = models.CharField(max_length=255)
    annual_rate = models.DecimalField(**RATE)
    method = models.CharField(max_length=20, choices=METHOD_CHOICES)
    status = models.CharField(max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.SUBMITTED)
    cover_needed = MoneyField(
        default=0, help_text="The part above the applicant's free deposits, which guarantees must cover."
    )
    decision_reason = models.CharField(max_length=255, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Issue 16: the payslip the member states, for the two-thirds rule (affordability.py); empty when not given.
    basic_pay = MoneyField("basic pay (KES a month)", null=True, blank=True)
    total_deductions = MoneyField("total deductions today (KES a month)", null=True, blank=True)
    top_up_of = models.ForeignKey(
        "Loan",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="top_up_applications",
        help_text="A top-up: the member's active loan this one clears when it is paid out (top_up.py).",
    )

    class Meta:
        ordering = ["-created_at"]
        permissions = [("decide_loanapplication", "Can approve or reject loan applications")]

    def __str__(self):
        return f"{self.product} {self.amount} for {self.member_id}"


class LoanReview(ApprovalRecord):
    """An application's way through the "Loan approval" workflow (L4): the loans officer's appraisal, then the credit
    committee's quorum. It starts when the guarantees cover the loan.

    It holds nothing but the application: publishing copies a revision over the row, so the decision (status,
    reason, who) is written on the application by the loan services that the workflow handlers call.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.OneToOneField(LoanApplication, on_delete=models.PROTECT, related_name="review")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "loan approval"

    def __str__(self):
        application = self.application
        return f"{application.member} — {application.product} KES {application.amount:,.2f}"

    @property
    def waiting_for(self) -> str:
        """The workflow step waiting for a decision, or a dash when none is."""
        state = self.current_workflow_task_state
        return state.task.name if state is not None and state.status == "in_progress" else "—"

    @property
    def application_status(self) -> str:
        return self.application.get_status_display()

    def approval_summary(self):
        """The member, the product, the amount and the rules the application fails (approval.loan_review_summary)."""
        # Imported here: approval.py reads eligibility and the loan services, which import this module.
        from .approval import loan_review_summary

        return loan_review_summary(self)

    def conflicted_user_ids(self) -> set:
        """The applicant and everyone asked to guarantee: none of them may appraise or vote."""
        application = self.application
        ids = set(application.guarantees.values_list("guarantor__user_id", flat=True))
        ids.add(application.member.user_id)
        return ids


class LoanStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")
    # The payout failed (M-Pesa B2C) and its disbursement was reversed; paying it out again re-books it.
    REVERSED = "reversed", _("Payout failed, reversed")
    # Written off against the provision (write_off.py): off the balance sheet, tracked in a LoanWriteOff memo.
    WRITTEN_OFF = "written_off", _("Written off")


class Classification(models.TextChoices):
    """SASRA buckets by days past due (domain.md)."""

    PERFORMING = "performing", _("Performing (current)")
    WATCH = "watch", _("Watch (1–30 days)")
    SUBSTANDARD = "substandard", _("Substandard (31–180 days)")
    DOUBTFUL = "doubtful", _("Doubtful (181–360 days)")
    LOSS = "loss", _("Loss (over 360 days)")

    @classmethod
    def for_days(cls, days: int) -> str:
        if days <= 0:
            return cls.PERFORMING
        if days <= 30:
            return cls.WATCH
        if days <= 180:
            return cls.SUBSTANDARD
        if days <= 360:
            return cls.DOUBTFUL
        return cls.LOSS


class Loan(models.Model):
    """A disbursed loan: one per approved application (enforced by the database). Its schedule is stored as
    instalments; what is paid is tracked on each instalment and posted to the ledger with the loan on each line."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.OneToOneField(LoanApplication, on_delete=models.PROTECT, related_name="loan")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="loans")
    product = models.ForeignKey(LoanProduct, on_delete=models.PROTECT, related_name="loans")
    principal = MoneyField(help_text="What the member owes: the amount, plus fees if capitalised.")
    amount_paid_out = MoneyField()
    processing_fee = MoneyField(default=0)
    insurance_fee = MoneyField(default=0)
    application_fee = MoneyField(default=0)
    annual_rate = models.DecimalField(**RATE)
    method = models.CharField(max_length=20, choices=METHOD_CHOICES)
    term_months = models.PositiveSmallIntegerField()
    disbursed_on = models.DateField()
    disbursed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    disbursement_entry = models.OneToOneField(
        "finance.JournalEntry",
        null=True,
        on_delete=models.PROTECT,
        related_name="loan_disbursed",
        help_text="Set in the same transaction that creates the loan (the entry's lines name the loan).",
    )
    status = models.CharField(max_length=12, choices=LoanStatus.choices, default=LoanStatus.ACTIVE)
    closed_on = models.DateField(null=True, blank=True)
    days_past_due = models.PositiveIntegerField(default=0, help_text="Updated by the daily loan job.")
    classification = models.CharField(
        max_length=12, choices=Classification.choices, default=Classification.PERFORMING, db_index=True
    )
    top_up_fee = MoneyField(default=0, help_text="A top-up: the fee deducted from what the member received.")
    refinanced_by = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refinances",
        help_text="Closed by a top-up: the new loan that cleared it.",
    )

    class Meta:
        ordering = ["-disbursed_on"]
        permissions = [("disburse_loan", "Can disburse approved loans"), ("record_repayment", "Can record repayments")]

    def __str__(self):
        return f"{self.product} {self.principal} ({self.member_id})"


class CurrentInstalmentManager(models.Manager):
    """The default manager: the loan's current schedule only. A restructure (restructure.py) marks the rows of the
    schedule it replaces as superseded instead of deleting them, and every reader of the schedule — allocation,
    the daily job, the invariants, the reports — must see only the rows still owed."""

    def get_queryset(self):
        return super().get_queryset().filter(superseded=False)


class LoanInstalment(models.Model):
    """One row of the schedule, with what has been paid against it."""

    # Indexed by the (loan, number) unique constraint.
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="instalments", db_index=False)
    number = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    principal = MoneyField()
    interest = MoneyField()
    penalty = MoneyField(default=0)
    principal_paid = MoneyField(default=0)
    interest_paid = MoneyField(default=0)
    penalty_paid = MoneyField(default=0)
    interest_accrued = models.BooleanField(default=False, help_text="Interest receivable posted for this row.")
    # Appended for restructuring (issue 16): a restructure's new schedule is version 2, 3…, numbered on after the
    # old one (so the ledger keys `interest:<loan>:<n>` stay unique); the old rows are kept, marked superseded.
    schedule_version = models.PositiveSmallIntegerField(default=1)
    superseded = models.BooleanField(default=False, help_text="Replaced by a restructured schedule; history only.")

    all_versions = models.Manager()  # with the superseded schedules, for the history
    objects = CurrentInstalmentManager()  # the default (Meta): the current schedule only

    class Meta:
        base_manager_name = "all_versions"
        default_manager_name = "objects"
        ordering = ["loan", "number"]
        constraints = [models.UniqueConstraint(fields=["loan", "number"], name="one_instalment_number")]

    def __str__(self):
        return f"Instalment {self.number} of {self.loan_id}"

    @property
    def amount(self) -> Decimal:
        return self.principal + self.interest + self.penalty

    @property
    def paid(self) -> Decimal:
        return self.principal_paid + self.interest_paid + self.penalty_paid

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid


class LoanRepayment(models.Model):
    """Money received against a loan, idempotent by its reference (M-Pesa receipt, bank slip, check-off row)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="repayments")
    amount = MoneyField()
    date = models.DateField()
    reference = models.CharField(max_length=100)
    penalty_part = MoneyField(default=0)
    interest_part = MoneyField(default=0)
    principal_part = MoneyField(default=0)
    overpayment = MoneyField(default=0, help_text="Beyond the whole balance: to the member's deposits.")
    recovery = MoneyField(default=0, help_text="Received after the loan was written off: to 4300 Recoveries.")
    entry = models.OneToOneField("finance.JournalEntry", on_delete=models.PROTECT, related_name="loan_repayment")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-date", "-recorded_at"]
        permissions = [("reverse_loanrepayment", "Can reverse loan repayments posted in error")]

    def __str__(self):
        return f"Repayment {self.amount} on {self.loan_id}"


class LoanReminder(models.Model):
    """A reminder sent for an instalment: once before it falls due, and once a month while it is overdue."""

    instalment = models.ForeignKey(LoanInstalment, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=10, choices=[("before", "Before due"), ("overdue", "Overdue")])
    period = models.CharField(max_length=7, help_text="YYYY-MM of the reminder (overdue ones repeat monthly).")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["instalment", "kind", "period"], name="one_loan_reminder_per_period")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} reminder for {self.instalment_id}"


class GuaranteeStatus(models.TextChoices):
    REQUESTED = "requested", _("Awaiting the guarantor")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    RELEASED = "released", _("Released")


class Guarantee(models.Model):
    """A member's promise to cover part of another member's loan with their deposits (L3). Requested with the
    application, accepted (with a fresh second-factor code) or declined by the guarantor in their portal,
    released when the loan closes or the application ends."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.ForeignKey(LoanApplication, on_delete=models.CASCADE, related_name="guarantees")
    guarantor = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="guarantees_given")
    amount = MoneyField()
    status = models.CharField(max_length=10, choices=GuaranteeStatus.choices, default=GuaranteeStatus.REQUESTED)
    responded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["application", "guarantor"], name="one_guarantee_per_guarantor")]

    def __str__(self):
        return f"{self.guarantor_id} guarantees {self.amount} of {self.application_id}"


class ReversalKind(models.TextChoices):
    ERROR = "error", _("Reversed: posted in error")
    REALLOCATED = "reallocated", _("Re-allocated after an earlier repayment was reversed")


class LoanRepaymentReversal(models.Model):
    """A repayment taken back (reversal.py): the contra entry, why, who and when. One per repayment (the
    database refuses a second), so a repayment is reversed at most once.

    `kind` ERROR is the reversal staff asked for; REALLOCATED marks a later repayment of the same loan that was
    reversed and applied again (`reapplied_as`) because the earlier one's reversal changed where it belongs."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    repayment = models.OneToOneField(LoanRepayment, on_delete=models.PROTECT, related_name="reversal")
    kind = models.CharField(max_length=12, choices=ReversalKind.choices, default=ReversalKind.ERROR)
    reason = models.CharField(max_length=255)
    entry = models.OneToOneField(
        "finance.JournalEntry", on_delete=models.PROTECT, related_name="loan_repayment_reversal"
    )
    caused_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reallocations")
    reapplied_as = models.OneToOneField(
        LoanRepayment, null=True, blank=True, on_delete=models.PROTECT, related_name="reapplication_of"
    )
    loan_reopened = models.BooleanField(default=False, help_text="The repayment had closed the loan.")
    reversed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    reversed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-reversed_at"]

    def __str__(self):
        return f"Reversal of {self.repayment}"


# Restructuring and write-off (issue 16): models in their own module, imported here so Django finds them.
from .lifecycle_models import LoanRestructure, LoanWriteOff, ProposalStatus  # noqa: E402, F401


class RecoveryStatus(models.TextChoices):
    PREPARED = "prepared", _("Prepared, waiting for a second person")
    APPROVED = "approved", _("Approved and posted")
    CANCELLED = "cancelled", _("Cancelled")


class GuarantorRecovery(models.Model):
    """Recovery of a defaulted loan from its guarantors' deposits (issue 16), maker-checker: one person prepares it
    (the guarantors are told what each will be asked for), another approves it, which posts (guarantor_recovery.py).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="guarantor_recoveries")
    status = models.CharField(max_length=10, choices=RecoveryStatus.choices, default=RecoveryStatus.PREPARED)
    days_past_due = models.PositiveIntegerField(help_text="The loan's days past due when it was prepared.")
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField(default=timezone.now)
    notices_sent = models.PositiveSmallIntegerField(default=0)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    date = models.DateField(null=True, blank=True, help_text="The posting date, once approved.")

    class Meta:
        ordering = ["-prepared_at"]
        verbose_name = "recovery from guarantors"
        verbose_name_plural = "recoveries from guarantors"
        permissions = [("recover_from_guarantors", "Can prepare and approve recovery from guarantors")]
        constraints = [
            models.UniqueConstraint(
                fields=["loan"], condition=models.Q(status="prepared"), name="one_open_guarantor_recovery"
            )
        ]

    def __str__(self):
        return f"Recovery from guarantors of {self.loan_id} ({self.get_status_display()})"

    @property
    def total(self) -> Decimal:
        return sum((claim.amount for claim in self.claims.all()), Decimal("0.00"))


class GuarantorClaim(models.Model):
    """What a guarantor paid for the borrower from their deposits: their claim on the borrower. `recovered_back` is
    what the guarantor has had back from the borrower so far."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recovery = models.ForeignKey(GuarantorRecovery, on_delete=models.PROTECT, related_name="claims")
    guarantee = models.ForeignKey(Guarantee, on_delete=models.PROTECT, related_name="claims")
    guarantor = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="guarantor_claims")
    borrower = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="claims_against")
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="guarantor_claims")
    amount = MoneyField()
    recovered_back = MoneyField(default=0)
    repayment = models.OneToOneField(LoanRepayment, on_delete=models.PROTECT, related_name="guarantor_claim")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["recovery", "guarantor"], name="one_claim_per_guarantor")]

    def __str__(self):
        return f"{self.guarantor_id} claims {self.amount} from {self.borrower_id}"

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.recovered_back


class GuaranteeSubstitution(models.Model):
    """A new guarantor proposed in place of one who guarantees an active loan. The new guarantee waits for its
    guarantor like any request; when accepted, the old one is released (guarantor_substitution.py)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    old_guarantee = models.ForeignKey(Guarantee, on_delete=models.PROTECT, related_name="substitutions")
    new_guarantee = models.OneToOneField(Guarantee, on_delete=models.PROTECT, related_name="substitution")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("substitute_guarantor", "Can propose a substitute guarantor for a member's loan")]

    def __str__(self):
        return f"{self.new_guarantee_id} in place of {self.old_guarantee_id}"
