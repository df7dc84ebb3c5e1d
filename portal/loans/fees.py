"""A product's fees and charges (issue 16), in one place, so the calculator, the application form, disbursement and
the nightly penalty job all say the same numbers.

One-off fees, charged when the loan is paid out, each to its own income account:
- processing fee: a percentage of the amount → 4100 Loan processing fees;
- insurance fee: a percentage of the amount → 4110 Loan insurance fees;
- application fee: a fixed amount → 4130 Loan application fees. It is charged AT DISBURSEMENT with the other fees
  (not when the member applies): an application costs nothing until it is approved and paid out, the fee needs no
  separate payment or refund when an application is rejected or withdrawn, and the whole charge is one balanced
  entry. Like the others it follows the product's fee treatment: deducted from what is paid out, or capitalised.

Late-payment penalty, charged by the nightly job once a calendar month per overdue instalment (`jobs.py`, key
`penalty:<loan>:<n>:<YYYY-MM>`) → Dr 1120 Penalties receivable / Cr 4200 Penalties:
- PERCENT (the default, as before): the product's monthly rate on what is overdue of the instalment;
- FIXED: the product's fixed amount per overdue instalment per month (never more than what is overdue of it);
- grace days: an instalment is charged only once it is MORE than `penalty_grace_days` days overdue. With 0 (the
  default) that is from the day after its due date, exactly the earlier behaviour.
"""

from dataclasses import dataclass
from decimal import Decimal

from .models import FeeTreatment, LoanProduct, PenaltyKind
from .schedule import cents

PROCESSING_FEES = "4100"
INSURANCE_FEES = "4110"
APPLICATION_FEES = "4130"
PENALTY_INCOME = "4200"
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class LoanFees:
    """A loan's one-off fees and what they do to it: deducted, the member receives less; capitalised, the member
    receives the amount asked for and owes (and pays interest on) the fees too."""

    amount: Decimal
    processing: Decimal
    insurance: Decimal
    capitalised: bool
    application: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.processing + self.insurance + self.application

    @property
    def principal(self) -> Decimal:
        """What the schedule runs on."""
        return self.amount + self.total if self.capitalised else self.amount

    @property
    def paid_out(self) -> Decimal:
        """What reaches the member's account."""
        return self.amount if self.capitalised else self.amount - self.total

    def income_lines(self) -> list[tuple[str, str, Decimal]]:
        """(account code, description, amount) of each fee charged, in the order the disbursement entry lists them."""
        rows = [
            (PROCESSING_FEES, "Processing fee", self.processing),
            (INSURANCE_FEES, "Insurance fee", self.insurance),
            (APPLICATION_FEES, "Application fee", self.application),
        ]
        return [row for row in rows if row[2] > 0]


def loan_fees(*, product: LoanProduct, amount: Decimal) -> LoanFees:
    """The fees as disbursement charges them (domain.md postings): processing and insurance a percentage of the
    amount rounded half up to the cent, the application fee the product's fixed amount."""
    return LoanFees(
        amount=amount,
        processing=cents(amount * product.processing_fee_percent / 100),
        insurance=cents(amount * product.insurance_fee_percent / 100),
        capitalised=product.fee_treatment == FeeTreatment.CAPITALISED,
        application=cents(product.application_fee or ZERO),
    )


def penalty_applies(*, days_overdue: int, grace_days: int) -> bool:
    """An instalment is penalised once it is more than `grace_days` days overdue (0: from the day after due)."""
    return days_overdue > max(grace_days or 0, 0)


def penalty_amount(
    *, kind: str, overdue: Decimal, rate_percent: Decimal | None, fixed_amount: Decimal | None, default_rate: Decimal
) -> Decimal:
    """One month's penalty on one overdue instalment: a percentage of what is overdue of it (the product's rate, or
    the SACCO's when the product has none), or a fixed amount capped at what is overdue (a penalty never exceeds
    the arrears it punishes). Nothing overdue, nothing charged."""
    if overdue <= 0:
        return ZERO
    if kind == PenaltyKind.FIXED:
        return min(cents(fixed_amount or ZERO), overdue)
    rate = rate_percent if rate_percent is not None else default_rate
    return cents(overdue * rate / 100)
