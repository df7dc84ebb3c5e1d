"""Dividends and interest on deposits (D1, D2; domain.md): a declaration for a financial year, approved in a
workflow, then posted once — one entry per member — and shown to each member with how it was computed."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.society.money_fields import MoneyField
from portal.workflows.records import ApprovalRecord
from portal.workflows.summary import ApprovalSummary

RATE = {"max_digits": 7, "decimal_places": 4, "validators": [MinValueValidator(0), MaxValueValidator(100)]}


class Basis(models.TextChoices):
    CLOSING = "closing", _("Closing balance at year end")
    AVERAGE = "average", _("Average of the 12 month-end balances")


class Method(models.TextChoices):
    RATES = "rates", _("Rates on share capital and deposits")
    POOL = "pool", _("A pool shared pro rata to share capital")


class Payout(models.TextChoices):
    DEPOSITS = "deposits", _("Credited to the member's deposits")
    PAYABLE = "payable", _("Held as payable (paid out by bank later)")


class DividendDeclaration(ApprovalRecord):
    """What the AGM declared for a financial year. Its terms are frozen once prepared (the workflow approves these
    numbers); `preview` holds the totals computed when it was prepared. Posting writes MemberDividend rows and a
    DividendPosting, never this row (publishing copies revisions over it)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    financial_year = models.PositiveSmallIntegerField(validators=[MinValueValidator(2000)])
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.RATES)
    share_capital_rate = models.DecimalField("dividend rate on share capital (%)", **RATE, default=0)
    deposit_rate = models.DecimalField("interest rate on deposits (%)", **RATE, default=0)
    pool = MoneyField(default=0, help_text="Pool method: the amount shared pro rata.")
    share_capital_basis = models.CharField(max_length=10, choices=Basis.choices, default=Basis.CLOSING)
    withholding_tax_rate = models.DecimalField("withholding tax (%)", **RATE)
    include_inactive = models.BooleanField(
        default=False, help_text="Include members who have exited or are on hold (by-laws decide)."
    )
    payout = models.CharField(max_length=10, choices=Payout.choices, default=Payout.DEPOSITS)
    preview = models.JSONField(editable=False, default=dict)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    prepared_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-financial_year"]
        permissions = [("prepare_dividenddeclaration", "Can prepare dividend declarations")]

    def __str__(self):
        return f"Dividends {self.financial_year}"

    def conflicted_user_ids(self) -> set:
        """Maker-checker: whoever prepared the declaration does not approve it."""
        return {self.prepared_by_id} if self.prepared_by_id else set()

    def approval_summary(self) -> ApprovalSummary:
        """The year, the terms and the gross total prepared, for the committee's list and decision page."""
        gross = (self.preview or {}).get("gross")
        if self.method == Method.POOL:
            what = f"A pool of KES {self.pool:,.2f} shared pro rata to share capital"
        else:
            what = (
                f"{self.share_capital_rate.normalize():f} % on share capital, "
                f"{self.deposit_rate.normalize():f} % on deposits"
            )
        return ApprovalSummary(
            kind="Dividend declaration",
            subject=f"Financial year {self.financial_year}",
            what=what,
            amount=Decimal(gross) if gross is not None else None,
        )

    @property
    def state(self) -> str:
        if hasattr(self, "posting"):
            return "Posted"
        state = self.current_workflow_state
        if state is not None:
            return "Rejected" if state.status == state.STATUS_NEEDS_CHANGES else "In approval"
        return "Not approved"


class DividendYear(models.Model):
    """Which declaration holds a financial year: the one in approval, or the one posted. The year is unique, so the
    database itself refuses a second declaration for a year while one holds it (two declarations in approval at
    once used to end with the second one's last vote failing on DividendPosting's unique year).

    It is a row of its own, not a status on the declaration: publishing copies the revision's fields over the
    declaration row, so a workflow model keeps no state set by services (architecture.md). `dividend_prepare`
    locks this row; a declaration that was rejected gives the year up to the next one prepared."""

    financial_year = models.PositiveSmallIntegerField(unique=True)
    declaration = models.OneToOneField(DividendDeclaration, on_delete=models.PROTECT, related_name="year_hold")
    held_since = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.financial_year}: {self.declaration_id}"


class DividendPosting(models.Model):
    """The declaration was posted: when, by whose approval, and the totals (one row per declaration)."""

    declaration = models.OneToOneField(DividendDeclaration, on_delete=models.PROTECT, related_name="posting")
    financial_year = models.PositiveSmallIntegerField(unique=True, help_text="One posted declaration per year.")
    posted_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    members = models.PositiveIntegerField()
    gross = MoneyField()
    tax = MoneyField()
    net = MoneyField()

    def __str__(self):
        return f"Dividends {self.financial_year} posted {self.posted_at:%Y-%m-%d}"


class MemberDividend(models.Model):
    """One member's dividend and interest for a year, with the balances it was computed from (D2)."""

    declaration = models.ForeignKey(DividendDeclaration, on_delete=models.PROTECT, related_name="member_dividends")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="dividends")
    share_capital_basis = MoneyField()
    deposits_basis = MoneyField()
    dividend = MoneyField()
    interest = MoneyField()
    tax = MoneyField()
    net = MoneyField()
    entry = models.OneToOneField("finance.JournalEntry", on_delete=models.PROTECT, related_name="member_dividend")

    class Meta:
        ordering = ["-declaration__financial_year"]
        constraints = [models.UniqueConstraint(fields=["declaration", "member"], name="one_dividend_per_member_year")]

    def __str__(self):
        return f"{self.member} {self.declaration.financial_year}: {self.net}"

    @property
    def gross(self) -> Decimal:
        return self.dividend + self.interest
