"""Year-end close (issue 18): the closing entry of a financial year and the appropriation of its surplus.

- `YearClose`: the year's income and expenses were closed to 3300 *Surplus for the year* by one entry dated the
  year's last day (key `year-close:<year>`). One per year (unique).
- `SurplusAppropriation`: how the year's surplus is shared out — statutory reserve (at least the society's
  `statutory_reserve_rate` of it), other reserves, the amount set aside for dividends on share capital, retained
  earnings (the remainder). Prepared by one person and approved in the "Surplus appropriation" workflow by two
  others (never the preparer); its terms are frozen once prepared.
- `AppropriationPosting`: the approved appropriation was posted (key `year-appropriation:<year>`), once per year.
  A row of its own, not a status on the appropriation: publishing copies the revision over the workflow record.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from portal.society.money_fields import MoneyField
from portal.workflows.records import ApprovalRecord
from portal.workflows.summary import ApprovalSummary


class YearClose(models.Model):
    """A financial year whose income and expenses were closed to the surplus account, with the entry that did it
    and the totals it moved (surplus = income − expenses; negative for a deficit)."""

    financial_year = models.PositiveSmallIntegerField(unique=True, validators=[MinValueValidator(2000)])
    entry = models.OneToOneField("finance.JournalEntry", on_delete=models.PROTECT, related_name="year_close")
    income = MoneyField()
    expenses = MoneyField()
    surplus = MoneyField()
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-financial_year"]
        verbose_name = "year-end close"
        permissions = [("close_year", "Can close a financial year")]

    def __str__(self):
        return f"Year {self.financial_year} closed"


class SurplusAppropriation(ApprovalRecord):
    """What the committee (and the AGM) decide to do with a closed year's surplus. `other_reserves` is a list of
    {"account": code, "name": name, "amount": "0.00"} (reserve accounts 31xx other than 3100). For a deficit year
    every appropriation is zero and `retained_earnings` is the deficit (negative), which posting charges to
    retained earnings."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    financial_year = models.PositiveSmallIntegerField(validators=[MinValueValidator(2000)])
    surplus = MoneyField(editable=False, help_text="The surplus the year's close moved to 3300.")
    statutory_reserve_rate = models.DecimalField(
        "statutory reserve rate (%)", max_digits=7, decimal_places=4, editable=False, help_text="The setting then."
    )
    statutory_reserve = MoneyField(default=Decimal("0.00"))
    other_reserves = models.JSONField(default=list, blank=True)
    dividends = MoneyField(
        "set aside for dividends on share capital",
        default=Decimal("0.00"),
        help_text="The most the year's dividend declaration may pay on share capital.",
    )
    retained_earnings = MoneyField(editable=False, help_text="The remainder, to 3200 Retained earnings.")
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    prepared_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-financial_year", "-prepared_at"]
        verbose_name = "surplus appropriation"
        permissions = [("prepare_surplusappropriation", "Can prepare surplus appropriations")]

    def __str__(self):
        return f"Appropriation of the {self.financial_year} surplus"

    def conflicted_user_ids(self) -> set:
        """Maker-checker: whoever prepared the appropriation does not approve it."""
        return {self.prepared_by_id} if self.prepared_by_id else set()

    @property
    def other_reserves_total(self) -> Decimal:
        return sum((Decimal(r["amount"]) for r in self.other_reserves or []), Decimal("0.00"))

    def approval_summary(self) -> ApprovalSummary:
        """The year, the surplus and how it is shared, for the committee's list and decision page."""
        if self.surplus <= 0:
            what = f"Deficit of KES {-self.surplus:,.2f} charged to retained earnings"
        else:
            what = (
                f"Statutory reserve KES {self.statutory_reserve:,.2f}, other reserves KES "
                f"{self.other_reserves_total:,.2f}, dividends KES {self.dividends:,.2f}, retained KES "
                f"{self.retained_earnings:,.2f}"
            )
        return ApprovalSummary(
            kind="Surplus appropriation",
            subject=f"Financial year {self.financial_year}",
            what=what,
            amount=self.surplus,
        )

    @property
    def state(self) -> str:
        if hasattr(self, "posting"):
            return "Posted"
        state = self.current_workflow_state
        if state is not None:
            return "Rejected" if state.status == state.STATUS_NEEDS_CHANGES else "In approval"
        return "Not approved"


class AppropriationPosting(models.Model):
    """The approved appropriation was posted: its entry (none for a year that closed at exactly zero)."""

    appropriation = models.OneToOneField(SurplusAppropriation, on_delete=models.PROTECT, related_name="posting")
    financial_year = models.PositiveSmallIntegerField(unique=True, help_text="One posted appropriation per year.")
    entry = models.OneToOneField(
        "finance.JournalEntry", null=True, on_delete=models.PROTECT, related_name="appropriation_posting"
    )
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    posted_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Appropriation {self.financial_year} posted {self.posted_at:%Y-%m-%d}"
