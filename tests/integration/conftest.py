"""Fixtures shared by integration test modules, built on tests/factories.py (so no module imports another's)."""

import datetime

import pytest
from django.utils import timezone

from portal.members import roles
from tests.factories import dividend_year_2025, loan_products, member_with_savings, year_appropriated


@pytest.fixture
def products():
    """The demo loan products by slug (development allows a one-month term)."""
    return loan_products()


@pytest.fixture
def borrower(make_member):
    """Juma: a member since January 2024, KYC verified, KES 20,000 share capital and KES 120,000 deposits."""
    return member_with_savings(
        make_member,
        email="borrower@example.com",
        first_name="Juma",
        deposits="120000",
        share_capital="20000",
        share_capital_reference="bsc",
        deposit_reference="bdep",
    )


@pytest.fixture
def people(make_member):
    """Three savers for guarantee tests: Juma (KES 50,000 deposits), Akinyi (60,000) and Baraka (40,000)."""
    return {
        "juma": member_with_savings(make_member, email="juma@example.com", deposits="50000"),
        "akinyi": member_with_savings(make_member, email="akinyi@example.com", deposits="60000"),
        "baraka": member_with_savings(make_member, email="baraka@example.com", deposits="40000"),
    }


@pytest.fixture
def year_2025(make_member, make_user):
    """Four members' 2025 share capital and deposits for dividend tests (see factories.dividend_year_2025), and 2024
    and 2025 closed with approved appropriations (dividends are declared out of them, issue 18): KES 50,000.00 of
    other income each year; KES 10,000.00 to the statutory reserve, 20,000.00 set aside for dividends and
    20,000.00 retained (3200 is credited 40,000.00 a year)."""
    books = dividend_year_2025(make_member)
    preparer = make_user("year-end@sacco.example", role=roles.TREASURER, first_name="Yusuf", last_name="Closer")
    approvers = [
        make_user(f"board-{n}@sacco.example", role=roles.CREDIT_COMMITTEE, first_name=name, last_name="Board")
        for n, name in ((1, "Halima"), (2, "Otieno"))
    ]
    for year in (2024, 2025):
        year_appropriated(year, income="50000", dividends="20000", preparer=preparer, approvers=approvers)
    return books


@pytest.fixture
def clock_at(monkeypatch):
    """Run the clock from 09:00 UTC on `day` (django.utils.timezone.now, which localdate and auto_now read)."""

    def _set(day: datetime.date):
        real_now = timezone.now
        started = real_now()
        at = datetime.datetime.combine(day, datetime.time(9), tzinfo=datetime.UTC)
        monkeypatch.setattr(timezone, "now", lambda: at + (real_now() - started))

    return _set
