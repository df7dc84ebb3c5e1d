"""Issue 17: the year's balances a dividend is computed on (closing, and the average of the twelve month-end
balances) are read in two sums per member; they must equal the twelve month-end balances worked out by hand,
whatever day of the month a line falls on (the last day of a month counts in that month's balance)."""

import datetime
from decimal import Decimal

import pytest

from portal.dividends.compute import year_balances
from portal.finance.ledger.services import Line, ledger_post

pytestmark = pytest.mark.django_db
D = Decimal


def _post(member, code, amount, date, key, *, withdrawal=False):
    amount = D(amount)
    lines = (
        [Line(code, debit=amount, member_id=member.pk), Line("1010", credit=amount)]
        if withdrawal
        else [Line("1010", debit=amount), Line(code, credit=amount, member_id=member.pk)]
    )
    ledger_post(memo=key, lines=lines, idempotency_key=key, date=date)


def test_month_end_balances_by_hand_at_every_boundary(make_member):
    member, other = make_member("a@example.com"), make_member("b@example.com")
    moves = [  # (date, deposits change)
        (datetime.date(2024, 12, 31), D("1000.01")),  # before the year: in every month-end balance
        (datetime.date(2025, 1, 31), D("200.10")),  # the last day of January: in January's balance
        (datetime.date(2025, 2, 1), D("30.03")),  # from February
        (datetime.date(2025, 6, 30), D("-150.55")),  # a withdrawal, from June
        (datetime.date(2025, 11, 30), D("7.77")),  # November and December
        (datetime.date(2025, 12, 1), D("0.01")),  # December only
        (datetime.date(2025, 12, 31), D("99.99")),  # the year's last day: December only
        (datetime.date(2026, 1, 1), D("5000.00")),  # after the year: nowhere
    ]
    for n, (date, change) in enumerate(moves):
        _post(member, "2000", abs(change), date, f"dep-{n}", withdrawal=change < 0)
    _post(member, "3000", "12345.67", datetime.date(2025, 3, 31), "share-1")
    _post(other, "3000", "0.01", datetime.date(2025, 12, 31), "share-2")

    month_ends = [datetime.date(2025, m + 1, 1) - datetime.timedelta(days=1) for m in range(1, 12)]
    month_ends.append(datetime.date(2025, 12, 31))
    by_hand = [sum((c for d, c in moves if d <= end), D("0.00")) for end in month_ends]
    assert by_hand[0] == D("1200.11") and by_hand[-1] == D("1187.36")

    balances = year_balances(year=2025)
    assert balances[member.pk]["2000"] == (by_hand[-1], sum(by_hand, D("0.00")) / 12)
    assert balances[member.pk]["3000"] == (D("12345.67"), D("12345.67") * 10 / 12)  # March to December
    assert balances[other.pk] == {"3000": (D("0.01"), D("0.01") / 12)}
    assert year_balances(year=2025, member_ids=[other.pk]) == {other.pk: {"3000": (D("0.01"), D("0.01") / 12)}}
