"""Issue 18, year-end close: a small year computed by hand — the closing entry (income and expenses to 3300), the
income statement that leaves it out, the balance sheet without a "surplus not yet closed" line, the appropriation
(20 % statutory reserve, a general reserve, dividends set aside, the rest retained) approved by two others than the
preparer, and dividends declared within what was set aside (over it refused, naming the field)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from portal.dividends.services import dividend_prepare
from portal.finance.ledger.models import JournalEntry
from portal.finance.ledger.selectors import account_balance
from portal.finance.ledger.services import Line, ledger_post
from portal.finance.periods.services import (
    period_close_approve,
    period_close_request,
    period_reopen_approve,
    period_reopen_request,
)
from portal.finance.yearend.models import AppropriationPosting, SurplusAppropriation, YearClose
from portal.finance.yearend.services import appropriation_prepare, appropriation_vote, year_close
from portal.members import roles
from portal.reports.financial import financial_statements
from portal.society.policy import sacco_settings
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db
D = Decimal
YEAR_START, YEAR_END = datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)


def _post(key, date, debit_code, credit_code, amount, member=None):
    ledger_post(
        memo=key,
        lines=[
            Line(debit_code, debit=D(amount)),
            Line(credit_code, credit=D(amount), member_id=member.pk if member else None),
        ],
        idempotency_key=key,
        date=date,
    )


@pytest.fixture
def books_2025(make_member):
    """Share capital 20,000 (Achieng) + 10,000 (Baraka); income 15,000 interest + 3,000 fees = 18,000; expenses
    6,500 operating + 500 bank charges = 7,000; surplus 11,000. Cash 1010: 30,000 + 18,000 − 7,000 = 41,000. And
    1,000 of other income in 2026, after the year."""
    a = make_member("achieng@example.com", first_name="Achieng")
    b = make_member("baraka@example.com", first_name="Baraka")
    _post("sc-a", datetime.date(2025, 1, 15), "1010", "3000", "20000", a)
    _post("sc-b", datetime.date(2025, 2, 1), "1010", "3000", "10000", b)
    _post("interest", datetime.date(2025, 6, 30), "1010", "4000", "15000")
    _post("fees", datetime.date(2025, 8, 1), "1010", "4100", "3000")
    _post("rent", datetime.date(2025, 9, 30), "5000", "1010", "6500")
    _post("charges", datetime.date(2025, 12, 31), "5100", "1010", "500")
    _post("next-year", datetime.date(2026, 3, 1), "1010", "4900", "1000")
    return {"a": a, "b": b}


def _lines(entry):
    return sorted((line.account.code, line.debit, line.credit) for line in entry.lines.select_related("account"))


def _rows(section):
    return {row["code"]: row["amount"] for row in section}


def test_close_appropriate_and_declare_within_the_limit(books_2025, staff_user, deciders, clock_at):
    treasurer = staff_user(roles.TREASURER)
    clock_at(datetime.date(2025, 12, 31))
    with pytest.raises(ValidationError) as exc:
        year_close(financial_year=2025, by=treasurer)
    assert "has not ended" in exc.value.message_dict["financial_year"][0]

    clock_at(datetime.date(2026, 6, 30))
    closed = year_close(financial_year=2025, by=treasurer)
    assert (closed.income, closed.expenses, closed.surplus) == (D("18000.00"), D("7000.00"), D("11000.00"))
    entry = closed.entry
    assert (entry.date, entry.idempotency_key) == (YEAR_END, "year-close:2025")
    assert _lines(entry) == [
        ("3300", D("0.00"), D("11000.00")),
        ("4000", D("15000.00"), D("0.00")),
        ("4100", D("3000.00"), D("0.00")),
        ("5000", D("0.00"), D("6500.00")),
        ("5100", D("0.00"), D("500.00")),
    ]
    with pytest.raises(ValidationError) as exc:
        year_close(financial_year=2025, by=treasurer)
    assert "already closed" in exc.value.message_dict["financial_year"][0]
    assert JournalEntry.objects.filter(idempotency_key__startswith="year-close:").count() == 1

    # The year's statements: the income statement still shows the year; the balance sheet has no open surplus.
    data = financial_statements(start=YEAR_START, end=YEAR_END)
    inc = data["income_statement"]
    assert (inc["total_income"], inc["total_expenses"], inc["surplus"]) == ("18000.00", "7000.00", "11000.00")
    assert _rows(inc["income"]) == {"4000": "15000.00", "4100": "3000.00"}
    bs = data["balance_sheet"]
    assert (bs["surplus"], bs["surplus_open"]) == ("0.00", False)
    assert _rows(bs["equity"]) == {"3000": "30000.00", "3300": "11000.00"}
    assert bs["total_assets"] == bs["total_liabilities_and_equity"] == "41000.00" and bs["balances"]
    tb = data["trial_balance"]
    assert tb["debit"] == tb["credit"] == "41000.00"
    # 2026 to date is open: its surplus is the line "not yet closed".
    later = financial_statements(start=datetime.date(2026, 1, 1), end=datetime.date(2026, 6, 30))["balance_sheet"]
    assert (later["surplus"], later["surplus_open"], later["balances"]) == ("1000.00", True, True)

    # No dividends before an approved appropriation.
    with pytest.raises(ValidationError) as exc:
        dividend_prepare(financial_year=2025, share_capital_rate=D("15"), by=treasurer)
    assert "appropriation" in exc.value.message_dict["financial_year"][0]

    # The appropriation: at least 20 % of 11,000.00 = 2,200.00 to the statutory reserve; no more than the surplus.
    with pytest.raises(ValidationError) as exc:
        appropriation_prepare(financial_year=2025, statutory_reserve=D("2199.99"), dividends=D("5000"), by=treasurer)
    assert "2,200.00" in exc.value.message_dict["statutory_reserve"][0]
    with pytest.raises(ValidationError) as exc:
        appropriation_prepare(
            financial_year=2025,
            statutory_reserve=D("2200.00"),
            other_reserves=[("3110", D("1000.00"))],
            dividends=D("8000.00"),
            by=treasurer,
        )
    assert "11,200.00" in exc.value.message_dict["dividends"][0]
    with pytest.raises(ValidationError) as exc:
        appropriation_prepare(
            financial_year=2025, statutory_reserve=D("2200"), other_reserves=[("3200", D("1"))], by=treasurer
        )
    assert "other_reserves" in exc.value.message_dict
    record = appropriation_prepare(
        financial_year=2025,
        statutory_reserve=D("2200.00"),
        other_reserves=[("3110", D("800.00"))],
        dividends=D("5000.00"),
        by=treasurer,
    )
    assert (record.surplus, record.retained_earnings, record.state) == (D("11000.00"), D("3000.00"), "In approval")
    with pytest.raises(ValidationError):  # one in approval per year
        appropriation_prepare(financial_year=2025, statutory_reserve=D("2200.00"), by=treasurer)
    with pytest.raises(PermissionDenied):
        appropriation_vote(appropriation=record, user=treasurer)  # the preparer does not approve
    appropriation_vote(appropriation=record, user=deciders["joseph"])
    assert not AppropriationPosting.objects.exists()
    appropriation_vote(appropriation=record, user=deciders["mercy"])

    posting = AppropriationPosting.objects.get()
    # Dated the day the committee approved it (IAS 10), not 31 December.
    assert (posting.entry.date, posting.entry.idempotency_key) == (
        datetime.date(2026, 6, 30),
        "year-appropriation:2025",
    )
    assert _lines(posting.entry) == [
        ("3100", D("0.00"), D("2200.00")),
        ("3110", D("0.00"), D("800.00")),
        ("3200", D("0.00"), D("8000.00")),  # 5,000.00 set aside for dividends + 3,000.00 retained
        ("3300", D("11000.00"), D("0.00")),
    ]
    assert account_balance(code="3300") == D("0.00")
    # The year's statements are as approved before the AGM: the surplus for the year stands in 3300 at 31 December.
    data = financial_statements(start=YEAR_START, end=YEAR_END)
    assert data["income_statement"]["surplus"] == "11000.00"
    bs = data["balance_sheet"]
    assert _rows(bs["equity"]) == {"3000": "30000.00", "3300": "11000.00"}
    assert (bs["surplus_open"], bs["total_equity"], bs["balances"]) == (False, "41000.00", True)
    # From the day of the AGM, the reserves hold it.
    data = financial_statements(start=datetime.date(2026, 1, 1), end=datetime.date(2026, 6, 30))
    bs = data["balance_sheet"]
    assert _rows(bs["equity"]) == {"3000": "30000.00", "3100": "2200.00", "3110": "800.00", "3200": "8000.00"}
    assert (bs["surplus_open"], bs["balances"]) == (True, True)
    with pytest.raises(ValidationError):
        appropriation_prepare(financial_year=2025, statutory_reserve=D("2200.00"), by=treasurer)  # posted already

    # Dividends out of the 5,000.00 set aside: 20 % of 30,000.00 share capital is 6,000.00 (refused), 15 % 4,500.00.
    with pytest.raises(ValidationError) as exc:
        dividend_prepare(financial_year=2025, share_capital_rate=D("20"), withholding_tax_rate=D("5"), by=treasurer)
    assert "6,000.00" in exc.value.message_dict["share_capital_rate"][0]
    with pytest.raises(ValidationError) as exc:
        dividend_prepare(financial_year=2025, method="pool", pool=D("5000.01"), by=treasurer)
    assert "5,000.01" in exc.value.message_dict["pool"][0]
    declaration = dividend_prepare(
        financial_year=2025, share_capital_rate=D("15"), withholding_tax_rate=D("5"), by=treasurer
    )
    assert declaration.preview["dividend"] == "4500.00"
    call_command("ledger_check")


def test_a_deficit_appropriates_nothing_and_years_close_in_order(make_member, staff_user, deciders, clock_at):
    clock_at(datetime.date(2026, 2, 1))
    treasurer = staff_user(roles.TREASURER)
    _post("sc-2024", datetime.date(2024, 3, 1), "1010", "3000", "5000", make_member("zawadi@example.com"))
    _post("rent-2024", datetime.date(2024, 5, 1), "5000", "1010", "1000")
    _post("fees-2024", datetime.date(2024, 7, 1), "1010", "4100", "250")
    _post("fees-2025", datetime.date(2025, 7, 1), "1010", "4100", "400")
    with pytest.raises(ValidationError) as exc:
        year_close(financial_year=2025, by=treasurer)
    assert "2024 is not closed" in exc.value.message_dict["financial_year"][0]
    with pytest.raises(ValidationError):
        appropriation_prepare(financial_year=2024, by=treasurer)  # not closed yet

    closed = year_close(financial_year=2024, by=treasurer)
    assert closed.surplus == D("-750.00")
    assert _lines(closed.entry) == [
        ("3300", D("750.00"), D("0.00")),
        ("4100", D("250.00"), D("0.00")),
        ("5000", D("0.00"), D("1000.00")),
    ]
    with pytest.raises(ValidationError) as exc:
        appropriation_prepare(financial_year=2024, statutory_reserve=D("1.00"), by=treasurer)
    assert "deficit" in exc.value.message_dict["statutory_reserve"][0]
    record = appropriation_prepare(financial_year=2024, by=treasurer)
    assert (record.statutory_reserve, record.dividends, record.retained_earnings) == (D("0"), D("0"), D("-750.00"))
    for approver in (deciders["joseph"], deciders["tom"]):
        appropriation_vote(appropriation=record, user=approver)
    assert _lines(record.posting.entry) == [("3200", D("750.00"), D("0.00")), ("3300", D("0.00"), D("750.00"))]
    assert account_balance(code="3200") == D("-750.00") and account_balance(code="3300") == D("0.00")
    with pytest.raises(ValidationError) as exc:  # nothing set aside: not even 1 % (50.00) for 2024
        dividend_prepare(financial_year=2024, share_capital_rate=D("1"), withholding_tax_rate=D("5"), by=treasurer)
    assert "KES 0.00" in exc.value.message_dict["share_capital_rate"][0]

    assert year_close(financial_year=2025, by=treasurer).surplus == D("400.00")
    assert YearClose.objects.count() == 2
    call_command("ledger_check")


def test_the_statutory_reserve_rate_is_a_setting_of_at_least_20(books_2025, staff_user, clock_at):
    clock_at(datetime.date(2026, 6, 30))
    settings_row = sacco_settings()
    settings_row.statutory_reserve_rate = D("19.99")
    with pytest.raises(ValidationError) as exc:
        settings_row.full_clean()
    assert "statutory_reserve_rate" in exc.value.message_dict
    settings_row.statutory_reserve_rate = D("25")
    settings_row.save()
    treasurer = staff_user(roles.TREASURER)
    year_close(financial_year=2025, by=treasurer)
    with pytest.raises(ValidationError) as exc:
        appropriation_prepare(financial_year=2025, statutory_reserve=D("2200.00"), by=treasurer)
    assert "2,750.00" in exc.value.message_dict["statutory_reserve"][0]  # 25 % of 11,000.00
    record = appropriation_prepare(financial_year=2025, statutory_reserve=D("2750.00"), by=treasurer)
    assert record.retained_earnings == D("8250.00") and record.statutory_reserve_rate == D("25")


def test_admin_close_and_appropriate_screens(client, books_2025, staff_user, make_user, clock_at):
    clock_at(datetime.date(2026, 6, 30))
    auditor = make_user("auditor@sacco.example", role=roles.AUDITORS)
    sign_in_verified(client, auditor)
    for url in ("/admin/ledger/year-end/close/", "/admin/ledger/year-end/appropriate/"):
        refused = client.get(url)  # the admin answers PermissionDenied by sending back to its home page
        assert refused.status_code == 302 and refused["Location"] == "/admin/"
    assert client.get("/admin/snippets/finance/yearclose/").status_code == 200  # auditors read

    client.logout()
    sign_in_verified(client, staff_user(roles.TREASURER))
    preview = client.post("/admin/ledger/year-end/close/", {"financial_year": "2025", "preview": "1"})
    page = preview.content.decode()
    assert preview.status_code == 200 and "15,000.00" in page and "11,000.00" in page
    assert not YearClose.objects.exists()  # a preview posts nothing
    early = client.post("/admin/ledger/year-end/close/", {"financial_year": "2026", "close": "1"})
    assert "has not ended" in early.content.decode() and not YearClose.objects.exists()
    done = client.post("/admin/ledger/year-end/close/", {"financial_year": "2025", "close": "1"})
    assert done.status_code == 302 and YearClose.objects.get().surplus == D("11000.00")

    low = client.post(
        "/admin/ledger/year-end/appropriate/",
        {"financial_year": "2025", "statutory_reserve": "1,000.00", "dividends": "0"},
    )
    assert low.status_code == 200 and "At least KES 2,200.00" in low.content.decode()
    bad = client.post(
        "/admin/ledger/year-end/appropriate/",
        {"financial_year": "2025", "statutory_reserve": "1e30", "dividends": "0"},
    )
    assert (
        bad.status_code == 200 and "is too large" in bad.content.decode() and not SurplusAppropriation.objects.exists()
    )
    made = client.post(
        "/admin/ledger/year-end/appropriate/",
        {
            "financial_year": "2025",
            "statutory_reserve": "2,200.00",
            "dividends": "5000",
            "reserve_1_account": "3110",
            "reserve_1_amount": "800",
        },
    )
    assert made.status_code == 302
    listing = client.get("/admin/snippets/finance/surplusappropriation/")
    assert listing.status_code == 200 and "Financial year 2025" in listing.content.decode()


def test_a_year_closes_before_its_december(books_2025, staff_user, clock_at):
    """The closing entry is dated 31 December: with December closed, the year close is refused, naming the year
    and what to do; after December is reopened it closes."""
    clock_at(datetime.date(2026, 1, 20))
    treasurer, admin = staff_user(roles.TREASURER), staff_user(roles.ADMINISTRATORS)
    for month in range(1, 13):
        first = datetime.date(2025, month, 1)
        period_close_request(month=first, by=treasurer)
        period_close_approve(month=first, by=admin)
    with pytest.raises(ValidationError) as exc:
        year_close(financial_year=2025, by=treasurer)
    assert "December 2025 is closed" in exc.value.message_dict["financial_year"][0]
    assert not JournalEntry.objects.filter(idempotency_key="year-close:2025").exists()
    period_reopen_request(month=datetime.date(2025, 12, 1), reason="Year-end close", by=treasurer)
    period_reopen_approve(month=datetime.date(2025, 12, 1), by=admin)
    assert year_close(financial_year=2025, by=treasurer).entry.date == YEAR_END
