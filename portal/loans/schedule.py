"""Repayment schedules (L6), exactly as domain.md defines them: cents at every posted amount (ROUND_HALF_UP),
never an intermediate rate rounded, the last instalment absorbing what rounding left.

Pure functions of Decimal values and dates, so the same code serves the calculator, applications, disbursement
and the tests against the worked examples and numpy-financial.
"""

import calendar
import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class Method:
    ANNUITY = "annuity"  # reducing balance, equal instalments ("amortised")
    EQUAL_PRINCIPAL = "equal_principal"  # reducing balance, equal principal ("reducing balance" in Kenyan SACCOs)
    FLAT = "flat"

    CHOICES = [
        (ANNUITY, "Reducing balance, equal instalments"),
        (EQUAL_PRINCIPAL, "Reducing balance, equal principal"),
        (FLAT, "Flat rate"),
    ]
    ALL = {ANNUITY, EQUAL_PRINCIPAL, FLAT}


class ScheduleError(ValueError):
    """Inputs that cannot make a schedule: a non-positive principal or term, a negative rate, an unknown method."""


@dataclass(frozen=True)
class Instalment:
    number: int
    due_date: datetime.date
    opening_balance: Decimal
    principal: Decimal
    interest: Decimal

    @property
    def amount(self) -> Decimal:
        return self.principal + self.interest

    @property
    def closing_balance(self) -> Decimal:
        return self.opening_balance - self.principal


@dataclass(frozen=True)
class Schedule:
    principal: Decimal
    annual_rate: Decimal
    months: int
    method: str
    instalments: list[Instalment]

    @property
    def total_interest(self) -> Decimal:
        return sum((i.interest for i in self.instalments), ZERO)

    @property
    def total_payable(self) -> Decimal:
        return self.principal + self.total_interest

    @property
    def first_instalment(self) -> Decimal:
        return self.instalments[0].amount

    @property
    def regular_instalment(self) -> Decimal:
        return self.instalments[0].amount if len(self.instalments) == 1 else self.instalments[-2].amount


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def due_date(start: datetime.date, months_after: int) -> datetime.date:
    """`months_after` calendar months after `start`, keeping its day of month, clamped to the month's end
    (31 January + 1 month = 28 or 29 February; + 2 months = 31 March)."""
    index = start.year * 12 + start.month - 1 + months_after
    year, month = index // 12, index % 12 + 1
    return datetime.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def monthly_rate(annual_rate: Decimal) -> Decimal:
    """r = annual rate / 12 / 100, unrounded."""
    return Decimal(annual_rate) / Decimal(1200)


def annuity_payment(principal: Decimal, annual_rate: Decimal, months: int) -> Decimal:
    """A = P·r / (1 − (1 + r)^−n), rounded to cents; P / n when the rate is zero."""
    r = monthly_rate(annual_rate)
    with localcontext() as ctx:
        ctx.prec = 40
        if r == 0:
            return cents(Decimal(principal) / months)
        return cents(Decimal(principal) * r / (1 - (1 + r) ** -months))


def schedule_build(
    *,
    principal: Decimal,
    annual_rate: Decimal,
    months: int,
    method: str,
    start: datetime.date,
    first_due_months: int = 1,
) -> Schedule:
    """The whole schedule. `start` is the disbursement date; instalment i falls due
    `first_due_months + i − 1` months after it."""
    principal = Decimal(principal)
    annual_rate = Decimal(annual_rate)
    if isinstance(principal, float) or principal <= 0 or principal != cents(principal):
        raise ScheduleError("The principal must be a positive amount in cents.")
    if annual_rate < 0:
        raise ScheduleError("The rate cannot be negative.")
    if int(months) != months or months < 1:
        raise ScheduleError("The term must be at least one month.")
    if method not in Method.ALL:
        raise ScheduleError(f"Unknown method {method!r}.")
    r = monthly_rate(annual_rate)
    rows: list[Instalment] = []
    balance = principal
    if method == Method.ANNUITY:
        payment = annuity_payment(principal, annual_rate, months)
        for number in range(1, months + 1):
            interest = cents(balance * r)
            part = balance if number == months else min(payment - interest, balance)
            rows.append(Instalment(number, due_date(start, first_due_months + number - 1), balance, part, interest))
            balance -= part
    elif method == Method.EQUAL_PRINCIPAL:
        part = cents(principal / months)
        for number in range(1, months + 1):
            interest = cents(balance * r)
            this_part = balance if number == months else part
            rows.append(
                Instalment(number, due_date(start, first_due_months + number - 1), balance, this_part, interest)
            )
            balance -= this_part
    else:  # flat: interest on the original principal for the whole term, spread equally
        total_interest = cents(principal * annual_rate * months / 1200)
        payment = cents((principal + total_interest) / months)
        for number in range(1, months + 1):
            # Each month's interest is the step of the rounded running total: never negative, and the months sum
            # to the total exactly (a fixed rounded share could overshoot it, leaving a negative last month).
            interest = cents(total_interest * number / months) - cents(total_interest * (number - 1) / months)
            part = balance if number == months else payment - interest
            rows.append(Instalment(number, due_date(start, first_due_months + number - 1), balance, part, interest))
            balance -= part
    return Schedule(principal, annual_rate, months, method, rows)


def flat_effective_annual_rate(*, annual_rate: Decimal, months: int) -> Decimal:
    """The reducing-balance annual rate (12 × monthly rate, %) whose equal instalments equal the flat loan's:
    what a flat rate really costs. 12 % flat over 12 months ≈ 21.46 %. Found by bisection, to 2 places."""
    annual_rate = Decimal(annual_rate)
    if annual_rate == 0:
        return Decimal("0.00")
    principal = Decimal("1000000")
    target = (principal + principal * annual_rate * months / 1200) / months
    low, high = Decimal("0"), Decimal("1")  # monthly rate bounds
    with localcontext() as ctx:
        ctx.prec = 40
        for _ in range(200):
            mid = (low + high) / 2
            payment = principal * mid / (1 - (1 + mid) ** -months)
            if payment < target:
                low = mid
            else:
                high = mid
    return (low * 1200).quantize(CENT, rounding=ROUND_HALF_UP)
