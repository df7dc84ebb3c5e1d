"""L6: schedules against domain.md's worked examples to the cent, and against numpy-financial as an independent
oracle over random principals, rates and terms."""

import datetime
from decimal import Decimal

import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.loans.schedule import (
    Method,
    ScheduleError,
    due_date,
    flat_effective_annual_rate,
    schedule_build,
)

D = Decimal
START = datetime.date(2026, 1, 15)


def build(method, principal="100000.00", rate="12", months=12, start=START):
    return schedule_build(principal=D(principal), annual_rate=D(rate), months=months, method=method, start=start)


def test_annuity_worked_example():
    schedule = build(Method.ANNUITY)
    amounts = [i.amount for i in schedule.instalments]
    assert amounts[:11] == [D("8884.88")] * 11
    assert amounts[11] == D("8884.85")
    assert schedule.total_interest == D("6618.53")
    assert schedule.instalments[0].interest == D("1000.00")


def test_flat_worked_example():
    schedule = build(Method.FLAT)
    amounts = [i.amount for i in schedule.instalments]
    assert amounts[:11] == [D("9333.33")] * 11 and amounts[11] == D("9333.37")
    assert schedule.total_interest == D("12000.00")


def test_equal_principal_worked_example():
    schedule = build(Method.EQUAL_PRINCIPAL)
    assert schedule.instalments[0].amount == D("9333.33")
    assert schedule.instalments[-1].amount == D("8416.70")
    assert schedule.total_interest == D("6500.00")


def test_flat_effective_rate_is_shown():
    assert flat_effective_annual_rate(annual_rate=D("12"), months=12) == D("21.46")


def test_due_dates_keep_the_day_and_clamp_to_month_end():
    assert due_date(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert due_date(datetime.date(2026, 1, 31), 2) == datetime.date(2026, 3, 31)
    assert due_date(datetime.date(2027, 12, 31), 2) == datetime.date(2028, 2, 29)
    dates = [i.due_date for i in build(Method.ANNUITY, start=datetime.date(2026, 1, 31)).instalments]
    assert dates[:3] == [datetime.date(2026, 2, 28), datetime.date(2026, 3, 31), datetime.date(2026, 4, 30)]


def test_zero_rate_and_bad_input():
    schedule = build(Method.ANNUITY, principal="1000.00", rate="0", months=3)
    assert [i.amount for i in schedule.instalments] == [D("333.33"), D("333.33"), D("333.34")]
    for kwargs in ({"principal": "0"}, {"principal": "10.001"}, {"rate": "-1"}, {"months": 0}):
        with pytest.raises(ScheduleError):
            build(Method.ANNUITY, **kwargs)
    with pytest.raises(ScheduleError):
        build("balloon")


principals = st.decimals(min_value=D("1000.00"), max_value=D("5000000.00"), places=2)
rates = st.decimals(min_value=D("0.50"), max_value=D("36.00"), places=2)
terms = st.integers(min_value=1, max_value=120)


@settings(max_examples=200, deadline=None)
@given(principal=principals, rate=rates, months=terms, method=st.sampled_from(sorted(Method.ALL)))
def test_every_schedule_repays_the_principal_exactly(principal, rate, months, method):
    schedule = schedule_build(principal=principal, annual_rate=rate, months=months, method=method, start=START)
    assert sum(i.principal for i in schedule.instalments) == principal
    assert schedule.instalments[-1].closing_balance == 0
    assert all(i.principal >= 0 and i.interest >= 0 for i in schedule.instalments)
    assert all(i.amount == i.amount.quantize(D("0.01")) for i in schedule.instalments)


@settings(max_examples=200, deadline=None)
@given(principal=principals, rate=rates, months=terms)
def test_annuity_matches_numpy_financial_within_half_a_cent_a_row(principal, rate, months):
    """The instalment is numpy-financial's pmt to half a cent; each opening balance is numpy-financial's fv after
    the same (rounded) payments, within half a cent per row of rounded interest, compounded."""
    schedule = schedule_build(principal=principal, annual_rate=rate, months=months, method=Method.ANNUITY, start=START)
    r = float(rate) / 1200  # the oracle works in floats; compared with a tolerance
    oracle_payment = -npf.pmt(r, months, float(principal))
    # Half a cent, plus the oracle's own float error (relative, about 1e-16 per operation; seen: 7.7e-8 shillings).
    assert abs(float(schedule.instalments[0].amount) - oracle_payment) <= 0.005 + 1e-12 * abs(oracle_payment) + 1e-9
    payment = float(schedule.instalments[0].amount)
    for row in schedule.instalments:
        k = row.number - 1
        oracle_balance = -npf.fv(r, k, -payment, float(principal))
        tolerance = 0.005 * (((1 + r) ** k - 1) / r if k else 0) + 1e-12 * abs(oracle_balance) + 1e-6
        assert abs(float(row.opening_balance) - oracle_balance) <= tolerance


def test_flat_interest_never_goes_negative_in_the_last_month():
    """Found by Hypothesis: a rounded-up monthly share × 89 overshot the total, leaving −0.01 for month 90."""
    schedule = schedule_build(principal=D("1043.87"), annual_rate=D("0.50"), months=90, method=Method.FLAT, start=START)
    assert all(i.interest >= 0 and i.principal >= 0 for i in schedule.instalments)
    assert sum(i.interest for i in schedule.instalments) == D("39.15")
    assert sum(i.principal for i in schedule.instalments) == D("1043.87")
