"""Affordability (issue 16): the two-thirds rule. Basic pay minus all deductions, including the new loan's instalment,
must leave at least one third of basic pay (domain.md, the "1/3 rule where pay is known").

The member states their payslip on the application (basic pay, and the total deducted today: tax, statutory
deductions, other loans, the SACCO's own check-off); the officer checks it against the payslip uploaded with KYC.
"Where pay is known": an application without payslip figures is not judged by this rule (eligibility leaves it out),
as before.

- The new instalment is the LARGEST instalment of the loan's schedule (the first of an equal-principal loan, the
  level one of an annuity), on what the member will owe: the amount, plus the fees when they are capitalised.
- One third of basic pay is rounded UP to the cent, so "leaves ≥ required" in cents means exactly "leaves ≥ basic
  pay ÷ 3".
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from portal.society.money import InvalidAmount, parse_amount

from .fees import loan_fees
from .models import LoanProduct
from .schedule import schedule_build

CENT = Decimal("0.01")


def figure(amount: Decimal) -> str:
    """A figure as the explanation writes it: thousands separated, cents only when there are any (60,000; 8,884.88)."""
    text = f"{amount:,.2f}"
    return text[:-3] if text.endswith(".00") else text


@dataclass(frozen=True)
class Affordability:
    """The two-thirds rule's numbers for one application."""

    basic_pay: Decimal
    deductions: Decimal
    instalment: Decimal

    @property
    def leaves(self) -> Decimal:
        """What is left of basic pay after every deduction and the new instalment (negative when it does not fit)."""
        return self.basic_pay - self.deductions - self.instalment

    @property
    def required(self) -> Decimal:
        """One third of basic pay, rounded up to the cent."""
        return (self.basic_pay / 3).quantize(CENT, rounding=ROUND_CEILING)

    @property
    def passed(self) -> bool:
        return self.leaves >= self.required

    @property
    def detail(self) -> str:
        """The sentence shown in the eligibility explanation, naming every figure."""
        return _(
            "Two-thirds rule: basic pay %(pay)s − deductions %(deductions)s − new instalment %(instalment)s leaves "
            "%(leaves)s, at least %(required)s required."
        ) % {
            "pay": figure(self.basic_pay),
            "deductions": figure(self.deductions),
            "instalment": figure(self.instalment),
            "leaves": figure(self.leaves),
            "required": figure(self.required),
        }


def new_instalment(*, product: LoanProduct, amount: Decimal, term_months: int, today: datetime.date) -> Decimal:
    """The largest instalment the loan would ask for, on the product's terms (fees.py decides the principal)."""
    schedule = schedule_build(
        principal=loan_fees(product=product, amount=amount).principal,
        annual_rate=product.annual_rate,
        months=term_months,
        method=product.method,
        start=today,
        first_due_months=1 + product.grace_months,
    )
    return max(i.amount for i in schedule.instalments)


def affordability_check(
    *, product: LoanProduct, amount: Decimal, term_months: int, basic_pay: Decimal, deductions: Decimal, today
) -> Affordability:
    return Affordability(
        basic_pay=basic_pay,
        deductions=deductions,
        instalment=new_instalment(product=product, amount=amount, term_months=term_months, today=today),
    )


def payslip_parse(*, basic_pay, total_deductions) -> tuple[Decimal | None, Decimal | None]:
    """The payslip figures as sent (form, API): both or neither. Basic pay more than zero, deductions zero or more,
    each a plain amount (no negatives, NaN, exponents beyond a money column, text): a ValidationError naming the
    field otherwise. Floats are refused like every amount (a float is not an exact shilling figure)."""
    blank = [raw is None or (isinstance(raw, str) and not raw.strip()) for raw in (basic_pay, total_deductions)]
    if all(blank):
        return None, None
    errors: dict[str, list[str]] = {}
    values: dict[str, Decimal] = {}
    for name, raw, is_blank, allow_zero in (
        ("basic_pay", basic_pay, blank[0], False),
        ("total_deductions", total_deductions, blank[1], True),
    ):
        if is_blank:
            errors[name] = [_("Give basic pay and total deductions together, from the same payslip.")]
            continue
        try:
            if isinstance(raw, float | bool):
                raise InvalidAmount(_('Send the amount as a string such as "60000.00".'))
            values[name] = parse_amount(str(raw), allow_zero=allow_zero)
        except InvalidAmount as exc:
            errors[name] = [str(exc)]
    if errors:
        raise ValidationError(errors)
    return values["basic_pay"], values["total_deductions"]
