"""Share capital and monthly contributions (C1–C8).

Money lives in the ledger: each payment record points at the journal entry that moved the money, and is
written once, together with that entry, by the services. Nothing here is edited after it is posted; a
mistake is corrected by reversing the entry (`payment_reverse`).
"""

import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.society.money_fields import MoneyField
from portal.society.ordered_ids import ordered_uuid

from .periods import format_period


class ShareCapitalTerm(models.IntegerChoices):
    TWELVE = 12, _("12 months")
    TWENTY_FOUR = 24, _("24 months")


class PaymentSource(models.TextChoices):
    COUNTER = "counter", _("Entered by staff")
    BULK = "bulk", _("Bulk entry")
    CHECKOFF = "checkoff", _("Payroll check-off")
    BATCH = "batch", _("Transaction batch")
    API = "api", _("API")
    DEMO = "demo", _("Demo history")


class MemberContributionSchedule(models.Model):
    """What one member has agreed to pay: a monthly amount above the minimum (blank = the minimum) and the
    term over which they complete their share capital."""

    member = models.OneToOneField("members.Member", on_delete=models.CASCADE, related_name="contribution_schedule")
    monthly_amount = MoneyField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Leave blank to pay the SACCO's minimum monthly contribution.",
    )
    share_capital_term_months = models.PositiveSmallIntegerField(
        "share capital term", choices=ShareCapitalTerm.choices, default=ShareCapitalTerm.TWELVE
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = "contribution schedule"

    def __str__(self):
        return f"Schedule of {self.member}"

    # The minimum monthly contribution is checked once, in services.contribution_schedule_set, which every
    # door (member portal, API, admin add/edit views) calls.


class MemberPayment(models.Model):
    """What the two payment kinds share: the member, the amount, the entry that posted it and who did it."""

    id = models.UUIDField(primary_key=True, default=ordered_uuid, editable=False)  # time-ordered, as the entries
    # No index of its own: each payment kind's (member, …) index serves it (issue 17: fewer indexes to write).
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+", db_index=False)
    amount = MoneyField()
    date = models.DateField(help_text="The day the money was received.")
    reference = models.CharField(max_length=100, blank=True, help_text="Receipt, bank slip or file reference.")
    source = models.CharField(max_length=10, choices=PaymentSource.choices, default=PaymentSource.COUNTER)
    bank_account = models.ForeignKey("finance.BankAccount", on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    @property
    def is_reversed(self) -> bool:
        return hasattr(self.entry, "reversed_by")


class ShareCapitalPayment(MemberPayment):
    """Share capital bought by a member: Dr bank / Cr 3000 Share capital [member]."""

    entry = models.ForeignKey(  # indexed by its unique constraint
        "finance.JournalEntry", on_delete=models.PROTECT, related_name="share_capital_payments", db_index=False
    )

    class Meta:
        ordering = ["-date", "-recorded_at"]
        constraints = [models.UniqueConstraint(fields=["entry"], name="one_share_payment_per_entry")]
        indexes = [models.Index(fields=["member", "date"])]

    def __str__(self):
        return f"Share capital {self.amount} from {self.member_id} on {self.date}"


class MonthlyContribution(MemberPayment):
    """A monthly deposit for a period (YYYY-MM): Dr bank / Cr 2000 Member deposits [member].

    Below the member's due amount it needs a staff override with a reason, kept here."""

    entry = models.ForeignKey(  # indexed by its unique constraint
        "finance.JournalEntry", on_delete=models.PROTECT, related_name="monthly_contributions", db_index=False
    )
    period = models.DateField(help_text="The month this pays for (stored as its first day).")
    below_minimum_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-period", "-date"]
        constraints = [models.UniqueConstraint(fields=["entry"], name="one_contribution_per_entry")]
        indexes = [models.Index(fields=["member", "period"]), models.Index(fields=["period"])]
        # Savings permissions for both payment kinds and check-off files live here (see portal/members/roles.py).
        permissions = [
            ("post_payments", "Can post contributions, share capital and check-off files"),
            ("reverse_payments", "Can reverse posted contributions and share capital payments"),
        ]

    def __str__(self):
        return f"Contribution {self.amount} for {self.period_label}"

    @property
    def period_label(self) -> str:
        return format_period(self.period)


class MemberShareSummary(models.Model):
    """A cache of each member's share capital and deposits, for lists over thousands of members. Written only by
    the services, under row locks: `summaries_add` adds what a posting posted, `summaries_refresh` recomputes from
    the ledger (reversals, new members, `recalculate_shares`); `ledger_check` fails if it ever differs."""

    member = models.OneToOneField(
        "members.Member", on_delete=models.CASCADE, primary_key=True, related_name="share_summary"
    )
    share_capital = MoneyField(default=0)
    deposits = MoneyField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "member share summary"
        verbose_name_plural = "member share summaries"

    def __str__(self):
        return f"Summary of {self.member_id}"


class CheckoffImport(models.Model):
    """One payroll check-off or payment file that was posted. The file's SHA-256 is unique, so the same file
    posts once; its rows' entries carry keys `checkoff:<sha256>:<row>`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64, unique=True)
    period = models.DateField()
    bank_account = models.ForeignKey("finance.BankAccount", on_delete=models.PROTECT, related_name="+")
    received_on = models.DateField()
    row_count = models.PositiveIntegerField(default=0)
    total_amount = MoneyField(default=0)
    below_minimum_reason = models.CharField(max_length=255, blank=True)
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    posted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-posted_at"]
        verbose_name = "check-off import"

    def __str__(self):
        return f"{self.file_name} ({format_period(self.period)})"

    @property
    def period_label(self) -> str:
        return format_period(self.period)


class CheckoffRow(models.Model):
    """One row of a posted check-off file, as read by the import resource, and the entry it posted."""

    checkoff = models.ForeignKey(CheckoffImport, on_delete=models.PROTECT, related_name="rows")
    row_number = models.PositiveIntegerField()
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    share_capital = MoneyField(default=0)
    deposits = MoneyField(default=0)
    loan_repayment = MoneyField(default=0)
    entry = models.OneToOneField(
        "finance.JournalEntry", null=True, on_delete=models.PROTECT, related_name="checkoff_row"
    )
    loan_allocated_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the loan repayment moved from 2300 Unallocated receipts to the member's loans "
        "(empty: still waiting, e.g. the member has no active loan).",
    )

    class Meta:
        ordering = ["checkoff", "row_number"]
        constraints = [models.UniqueConstraint(fields=["checkoff", "row_number"], name="one_checkoff_row_number")]

    def __str__(self):
        return f"Row {self.row_number} of {self.checkoff_id}"

    @property
    def total(self):
        return self.share_capital + self.deposits + self.loan_repayment


class ContributionReminder(models.Model):
    """A reminder sent to a member missing a period's contribution; one per member and period."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="contribution_reminders")
    period = models.DateField()
    amount_due = MoneyField()
    amount_paid = MoneyField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period", "-sent_at"]
        constraints = [models.UniqueConstraint(fields=["member", "period"], name="one_reminder_per_period")]

    def __str__(self):
        return f"Reminder to {self.member_id} for {format_period(self.period)}"


class CheckoffRunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    POSTED = "posted", "Posted"
    FAILED = "failed", "Failed"


class CheckoffRun(models.Model):
    """A large check-off file confirmed for posting in the background (a django-q2 task), and how far it got.

    The task checks every row first, writing `rows_checked` as it goes (outside any transaction, so the progress
    page sees it), then posts all the rows in one transaction: `rows_posted` is 0 until that commits, then every
    row. A failure posts nothing and keeps the errors, each naming its row and field. The file's bytes are kept
    here until the run ends (any worker can read them); the same file posts once (CheckoffImport.sha256)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64, db_index=True)
    content = models.BinaryField(editable=False, help_text="The file, until the run ends.")
    period = models.DateField()
    bank_account = models.ForeignKey("finance.BankAccount", on_delete=models.PROTECT, related_name="+")
    received_on = models.DateField()
    below_minimum_reason = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=CheckoffRunStatus.choices, default=CheckoffRunStatus.QUEUED)
    row_count = models.PositiveIntegerField(default=0, help_text="Rows in the file (once read).")
    rows_checked = models.PositiveIntegerField(default=0)
    rows_posted = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, help_text="Why nothing was posted.")
    row_errors = models.JSONField(default=list, blank=True, help_text="[row, field, message] of the first errors.")
    already_posted = models.BooleanField(default=False, help_text="The file had been posted before: nothing again.")
    checkoff = models.ForeignKey(CheckoffImport, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "check-off run"

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (CheckoffRunStatus.POSTED, CheckoffRunStatus.FAILED)
