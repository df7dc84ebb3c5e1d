"""The calculator's fees and payout (S2) to the cent, against domain.md's worked examples: fees are a percentage of
the amount, rounded half up; deducted fees shrink what is paid out, capitalised fees grow what is owed."""

import datetime
from decimal import Decimal

import pytest

from portal.loans.calculator import loan_fees
from portal.loans.models import FeeTreatment, LoanProduct
from portal.loans.schedule import Method, flat_effective_annual_rate, schedule_build

D = Decimal


def product(method=Method.ANNUITY, treatment=FeeTreatment.DEDUCTED, processing="1", insurance="0.5", rate="12"):
    return LoanProduct(
        name="Test loan",
        annual_rate=D(rate),
        method=method,
        processing_fee_percent=D(processing),
        insurance_fee_percent=D(insurance),
        fee_treatment=treatment,
    )


def schedule_for(p, fees, months=12):
    return schedule_build(
        principal=fees.principal,
        annual_rate=p.annual_rate,
        months=months,
        method=p.method,
        start=datetime.date(2026, 1, 15),
    )


def test_deducted_fees_on_the_annuity_worked_example():
    p = product()
    fees = loan_fees(product=p, amount=D("100000.00"))
    assert (fees.processing, fees.insurance, fees.total) == (D("1000.00"), D("500.00"), D("1500.00"))
    assert fees.paid_out == D("98500.00") and fees.principal == D("100000.00")
    schedule = schedule_for(p, fees)
    assert [i.amount for i in schedule.instalments] == [D("8884.88")] * 11 + [D("8884.85")]
    assert schedule.total_interest == D("6618.53")


def test_deducted_fees_on_the_flat_worked_example_and_its_effective_rate():
    p = product(method=Method.FLAT)
    fees = loan_fees(product=p, amount=D("100000.00"))
    schedule = schedule_for(p, fees)
    assert [i.amount for i in schedule.instalments] == [D("9333.33")] * 11 + [D("9333.37")]
    assert fees.paid_out == D("98500.00")
    assert flat_effective_annual_rate(annual_rate=p.annual_rate, months=12) == D("21.46")


def test_capitalised_fees_are_owed_and_paid_out_in_full():
    p = product(method=Method.FLAT, treatment=FeeTreatment.CAPITALISED)
    fees = loan_fees(product=p, amount=D("100000.00"))
    assert fees.principal == D("101500.00") and fees.paid_out == D("100000.00")
    schedule = schedule_for(p, fees)
    # I = 101,500 × 12 % × 12 / 12 = 12,180.00; (101,500 + 12,180) / 12 = 9,473.33, the last takes the rest.
    assert schedule.total_interest == D("12180.00")
    assert [i.amount for i in schedule.instalments] == [D("9473.33")] * 11 + [D("9473.37")]
    assert schedule.total_payable == D("113680.00")


@pytest.mark.parametrize(
    ("amount", "processing", "insurance"),
    [
        ("33333.33", "333.33", "166.67"),  # 166.66665 rounds half up
        ("1000.00", "10.00", "5.00"),
        ("2001.00", "20.01", "10.01"),  # 10.005 rounds half up
    ],
)
def test_each_fee_is_rounded_half_up_to_the_cent(amount, processing, insurance):
    fees = loan_fees(product=product(), amount=D(amount))
    assert (fees.processing, fees.insurance) == (D(processing), D(insurance))
    assert fees.paid_out == D(amount) - D(processing) - D(insurance)


def test_no_fees_pays_out_the_whole_amount():
    fees = loan_fees(product=product(processing="0", insurance="0"), amount=D("5000.00"))
    assert fees.total == D("0.00") and fees.paid_out == fees.principal == D("5000.00")
