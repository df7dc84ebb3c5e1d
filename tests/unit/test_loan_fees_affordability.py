"""Issue 16's pure rules to the cent: a product's fees (processing, insurance, application), the late-payment penalty
(percentage or fixed, with grace days) and the two-thirds rule on payslip figures."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from portal.loans.affordability import Affordability, figure, new_instalment, payslip_parse
from portal.loans.fees import loan_fees, penalty_amount, penalty_applies
from portal.loans.models import FeeTreatment, LoanProduct, PenaltyKind
from portal.loans.schedule import Method

D = Decimal


def product(treatment=FeeTreatment.DEDUCTED, application="500.00", method=Method.ANNUITY):
    return LoanProduct(
        name="Test loan",
        annual_rate=D("12"),
        method=method,
        processing_fee_percent=D("1"),
        insurance_fee_percent=D("0.5"),
        application_fee=D(application),
        fee_treatment=treatment,
    )


# --- fees ---------------------------------------------------------------------------------------------------------


def test_the_application_fee_is_deducted_with_the_others():
    fees = loan_fees(product=product(), amount=D("100000.00"))
    # 1 % of 100,000 = 1,000.00; 0.5 % = 500.00; application fee 500.00; total 2,000.00; 100,000 − 2,000 = 98,000.00
    assert (fees.processing, fees.insurance, fees.application) == (D("1000.00"), D("500.00"), D("500.00"))
    assert fees.total == D("2000.00") and fees.paid_out == D("98000.00") and fees.principal == D("100000.00")
    assert fees.income_lines() == [
        ("4100", "Processing fee", D("1000.00")),
        ("4110", "Insurance fee", D("500.00")),
        ("4130", "Application fee", D("500.00")),
    ]


def test_the_application_fee_is_capitalised_with_the_others():
    fees = loan_fees(product=product(FeeTreatment.CAPITALISED, application="250.50"), amount=D("40000.00"))
    # 400.00 + 200.00 + 250.50 = 850.50 owed on top of the 40,000.00 paid out in full
    assert fees.total == D("850.50") and fees.principal == D("40850.50") and fees.paid_out == D("40000.00")


def test_no_application_fee_no_line():
    fees = loan_fees(product=product(application="0"), amount=D("100000.00"))
    assert fees.application == D("0.00") and [code for code, *_ in fees.income_lines()] == ["4100", "4110"]


# --- the late-payment penalty ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "grace", "charged"),
    [(0, 0, False), (1, 0, True), (4, 5, False), (5, 5, False), (6, 5, True)],
)
def test_grace_days_at_the_boundary(days, grace, charged):
    # Charged once MORE than the grace days overdue; with no grace, from the day after the due date (as before).
    assert penalty_applies(days_overdue=days, grace_days=grace) is charged


def test_percent_penalty_on_the_arrears():
    # 1 % of 8,884.88 = 88.8488 → 88.85
    amount = penalty_amount(
        kind=PenaltyKind.PERCENT, overdue=D("8884.88"), rate_percent=D("1"), fixed_amount=D("0"), default_rate=D("2")
    )
    assert amount == D("88.85")


def test_percent_penalty_falls_back_to_the_saccos_rate():
    # 2 % of 1,000.00 = 20.00
    amount = penalty_amount(
        kind=PenaltyKind.PERCENT, overdue=D("1000.00"), rate_percent=None, fixed_amount=None, default_rate=D("2")
    )
    assert amount == D("20.00")


def test_fixed_penalty_per_instalment_capped_at_the_arrears():
    fixed = {"kind": PenaltyKind.FIXED, "rate_percent": D("1"), "fixed_amount": D("250.00"), "default_rate": D("1")}
    assert penalty_amount(overdue=D("8884.88"), **fixed) == D("250.00")
    assert penalty_amount(overdue=D("120.40"), **fixed) == D("120.40")  # never more than what is overdue
    assert penalty_amount(overdue=D("0.00"), **fixed) == D("0.00")


# --- the two-thirds rule -----------------------------------------------------------------------------------------


def test_the_worked_example_passes_and_names_every_figure():
    check = Affordability(basic_pay=D("60000.00"), deductions=D("25000.00"), instalment=D("8884.88"))
    # 60,000 − 25,000 − 8,884.88 = 26,115.12 ≥ 60,000 ÷ 3 = 20,000.00
    assert check.leaves == D("26115.12") and check.required == D("20000.00") and check.passed
    assert (
        "basic pay 60,000 − deductions 25,000 − new instalment 8,884.88 leaves 26,115.12, at least 20,000 required"
        in check.detail
    )


def test_too_little_left_fails():
    check = Affordability(basic_pay=D("30000.00"), deductions=D("12000.00"), instalment=D("8884.88"))
    # 30,000 − 12,000 − 8,884.88 = 9,115.12 < 10,000.00
    assert check.leaves == D("9115.12") and check.required == D("10000.00") and not check.passed


def test_a_third_is_rounded_up_to_the_cent_at_the_boundary():
    # 100,000 ÷ 3 = 33,333.333… → 33,333.34: leaving 33,333.33 is less than a third, 33,333.34 is not.
    short = Affordability(basic_pay=D("100000.00"), deductions=D("58000.00"), instalment=D("8666.67"))
    enough = Affordability(basic_pay=D("100000.00"), deductions=D("58000.00"), instalment=D("8666.66"))
    assert short.required == enough.required == D("33333.34")
    assert short.leaves == D("33333.33") and not short.passed
    assert enough.leaves == D("33333.34") and enough.passed


def test_deductions_beyond_pay_leave_a_negative_figure():
    check = Affordability(basic_pay=D("20000.00"), deductions=D("21000.00"), instalment=D("1000.00"))
    assert check.leaves == D("-2000.00") and not check.passed and "leaves -2,000" in check.detail


def test_figures_drop_only_whole_cents():
    assert (figure(D("60000.00")), figure(D("8884.88")), figure(D("0.50"))) == ("60,000", "8,884.88", "0.50")


def test_the_new_instalment_is_the_schedules_largest():
    start = datetime.date(2026, 1, 15)
    # Annuity worked example (domain.md): 100,000 at 12 % over 12 months → 8,884.88 (the last is 8,884.85).
    assert new_instalment(product=product(), amount=D("100000.00"), term_months=12, today=start) == D("8884.88")
    # Equal principal: the first is the largest, 8,333.33 + 1 % of 100,000 = 9,333.33.
    equal = product(method=Method.EQUAL_PRINCIPAL)
    assert new_instalment(product=equal, amount=D("100000.00"), term_months=12, today=start) == D("9333.33")


# --- payslip input ------------------------------------------------------------------------------------------------


def test_no_payslip_is_allowed():
    assert payslip_parse(basic_pay=None, total_deductions="") == (None, None)


def test_zero_deductions_are_a_figure():
    assert payslip_parse(basic_pay="60,000", total_deductions="0") == (D("60000.00"), D("0.00"))


@pytest.mark.parametrize(
    ("basic_pay", "deductions", "field"),
    [
        ("-60000", "25000", "basic_pay"),
        ("1e30", "25000", "basic_pay"),
        ("NaN", "25000", "basic_pay"),
        ("sixty thousand", "25000", "basic_pay"),
        ("0", "25000", "basic_pay"),
        (60000.0, "25000", "basic_pay"),
        ("60000", "-1", "total_deductions"),
        ("60000", "Infinity", "total_deductions"),
        ("60000", "", "total_deductions"),
        ("", "25000", "basic_pay"),
    ],
)
def test_bad_payslip_figures_name_their_field(basic_pay, deductions, field):
    with pytest.raises(ValidationError) as caught:
        payslip_parse(basic_pay=basic_pay, total_deductions=deductions)
    assert list(caught.value.message_dict) == [field]


def test_a_fixed_penalty_needs_its_amount():
    p = product()
    p.penalty_kind, p.penalty_fixed_amount = PenaltyKind.FIXED, D("0.00")
    with pytest.raises(ValidationError) as caught:
        p.clean()
    assert list(caught.value.message_dict) == ["penalty_fixed_amount"]
    p.penalty_fixed_amount = D("250.00")
    p.clean()
