"""The savings rules of domain.md as small pure functions, read from SaccoSettings (every rate is a setting)."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from portal.society.money import to_cents
from portal.society.policy import sacco_settings


def _settings():
    return sacco_settings()


def contribution_due(scheduled_amount: Decimal | None, *, minimum: Decimal | None = None) -> Decimal:
    """What a member owes each month: their own scheduled amount when higher than the minimum, else the minimum."""
    minimum = minimum if minimum is not None else _settings().minimum_monthly_contribution
    if scheduled_amount is not None and scheduled_amount > minimum:
        return to_cents(scheduled_amount)
    return to_cents(minimum)


def default_share_capital_term() -> int:
    return _settings().default_share_capital_term_months


def share_capital_target(*, share_value: Decimal | None = None, minimum_shares: int | None = None) -> Decimal:
    """Target share capital = share value × minimum number of shares."""
    if share_value is None or minimum_shares is None:
        sacco = _settings()
        share_value = sacco.share_value if share_value is None else share_value
        minimum_shares = sacco.minimum_shares if minimum_shares is None else minimum_shares
    return to_cents(share_value * minimum_shares)


@dataclass(frozen=True)
class ShareCapitalProgress:
    """Where a member stands against the share capital target (C1)."""

    target: Decimal
    paid: Decimal
    term_months: int
    instalment: Decimal  # target ÷ term, rounded half up to cents
    completion_percent: Decimal  # paid ÷ target × 100, capped at 100, two places

    @property
    def remaining(self) -> Decimal:
        return max(self.target - self.paid, Decimal("0.00"))

    @property
    def is_complete(self) -> bool:
        return self.paid >= self.target


def share_capital_progress(*, paid: Decimal, term_months: int, target: Decimal) -> ShareCapitalProgress:
    instalment = to_cents(target / Decimal(term_months))
    if target > 0:
        percent = min(paid / target * 100, Decimal("100"))
    else:
        percent = Decimal("100")
    percent = percent.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return ShareCapitalProgress(target, to_cents(paid), term_months, instalment, percent)
