"""R1 financial statements from the ledger: hand-computed figures on a small fixed ledger, the balance sheet
balances and the cash flow ties on random postings (property test), CSV/XLSX/PDF, and the approval workflow before
members see a pack (portal and API)."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from portal.finance.ledger.models import Account
from portal.finance.ledger.services import Line, ledger_post
from portal.members import roles
from portal.reports.financial import financial_statements
from portal.reports.models import FinancialStatement
from portal.reports.services import financial_statement_approve, financial_statement_prepare
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db
D = Decimal
START, END = datetime.date(2026, 1, 1), datetime.date(2026, 3, 31)


def _post(key, date, *lines):
    ledger_post(memo=key, lines=list(lines), idempotency_key=key, date=date, source="test")


@pytest.fixture
def small_ledger(member):
    _post(
        "sc-old",
        datetime.date(2025, 12, 20),
        Line("1010", debit=D("5000")),
        Line("3000", credit=D("5000"), member_id=member.pk),
    )
    _post(
        "sc",
        datetime.date(2026, 1, 5),
        Line("1010", debit=D("10000")),
        Line("3000", credit=D("10000"), member_id=member.pk),
    )
    _post(
        "dep",
        datetime.date(2026, 1, 10),
        Line("1010", debit=D("50000")),
        Line("2000", credit=D("50000"), member_id=member.pk),
    )
    _post(
        "loan",
        datetime.date(2026, 2, 1),
        Line("1100", debit=D("30000")),
        Line("1010", credit=D("29500")),
        Line("4100", credit=D("500")),
    )
    _post("int", datetime.date(2026, 3, 1), Line("1110", debit=D("300")), Line("4000", credit=D("300")))
    _post(
        "repay",
        datetime.date(2026, 3, 1),
        Line("1010", debit=D("3000")),
        Line("1110", credit=D("300")),
        Line("1100", credit=D("2700")),
    )
    _post("exp", datetime.date(2026, 3, 15), Line("5000", debit=D("1200")), Line("1010", credit=D("1200")))
    _post("later", datetime.date(2026, 4, 2), Line("5000", debit=D("999")), Line("1010", credit=D("999")))  # after


def _amounts(rows):
    return {row["code"]: row["amount"] for row in rows}


def test_hand_computed_statements_on_a_small_ledger(small_ledger):
    data = financial_statements(start=START, end=END)
    inc = data["income_statement"]
    assert _amounts(inc["income"]) == {"4000": "300.00", "4100": "500.00"}
    assert _amounts(inc["expenses"]) == {"5000": "1200.00"}
    assert (inc["total_income"], inc["total_expenses"], inc["surplus"]) == ("800.00", "1200.00", "-400.00")

    bs = data["balance_sheet"]
    assert _amounts(bs["assets"]) == {"1010": "37300.00", "1100": "27300.00"}  # 1110 is nil: not shown
    assert _amounts(bs["liabilities"]) == {"2000": "50000.00"} and _amounts(bs["equity"]) == {"3000": "15000.00"}
    assert bs["total_assets"] == bs["total_liabilities_and_equity"] == "64600.00" and bs["surplus"] == "-400.00"
    assert bs["balances"] and bs["surplus_open"]  # the year is not closed: "surplus not yet closed" is shown

    cf = data["cash_flow"]
    assert cf["opening_cash"] == "5000.00" and cf["closing_cash"] == "37300.00"
    assert _amounts(cf["operating"]) == {
        "1100": "-27300.00",
        "1110": "300.00",
        "2000": "50000.00",
        "4100": "500.00",
        "5000": "-1200.00",
    }
    assert _amounts(cf["financing"]) == {"3000": "10000.00"} and cf["investing"] == []
    assert (cf["net_operating"], cf["net_financing"], cf["net_change"]) == ("22300.00", "10000.00", "32300.00")
    assert cf["ties"]

    tb = data["trial_balance"]
    assert tb["debit"] == tb["credit"] == "65800.00"


ACCOUNTS = [
    "1000",
    "1010",
    "1011",
    "1100",
    "1110",
    "1190",
    "2000",
    "2100",
    "2300",
    "3000",
    "3200",
    "4000",
    "4900",
    "5000",
]


@st.composite
def entries(draw):
    n = draw(st.integers(min_value=1, max_value=25))
    result = []
    for _ in range(n):
        debit, credit = draw(st.lists(st.sampled_from(ACCOUNTS), min_size=2, max_size=2, unique=True))
        cents = draw(st.integers(min_value=1, max_value=10_000_000))
        day = draw(st.integers(min_value=0, max_value=500))
        result.append((debit, credit, D(cents) / 100, datetime.date(2025, 6, 1) + datetime.timedelta(days=day)))
    return result


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(postings=entries(), start_day=st.integers(min_value=0, max_value=400), length=st.integers(0, 200))
def test_random_postings_balance_and_tie(member, postings, start_day, length):
    from portal.finance.ledger.models import JournalEntry, JournalLine

    stamp = JournalEntry.objects.count()
    for n, (debit, credit, amount, date) in enumerate(postings):
        _post(
            f"p{stamp}-{n}",
            date,
            Line(debit, debit=amount, member_id=member.pk if debit in ("2000", "3000", "2300") else None),
            Line(credit, credit=amount, member_id=member.pk if credit in ("2000", "3000", "2300") else None),
        )
    start = datetime.date(2025, 6, 1) + datetime.timedelta(days=start_day)
    data = financial_statements(start=start, end=start + datetime.timedelta(days=length))
    bs, cf, tb = data["balance_sheet"], data["cash_flow"], data["trial_balance"]
    assert bs["balances"] and D(bs["total_assets"]) == D(bs["total_liabilities_and_equity"])
    assert cf["ties"] and D(cf["opening_cash"]) + D(cf["net_change"]) == D(cf["closing_cash"])
    assert tb["debit"] == tb["credit"]
    cash = [a.pk for a in Account.objects.filter(code__in=["1000", "1010", "1011"])]
    closing = sum(
        (
            line.debit - line.credit
            for line in JournalLine.objects.filter(
                account_id__in=cash, entry__date__lte=start + datetime.timedelta(days=length)
            )
        ),
        D("0"),
    )
    assert D(cf["closing_cash"]) == closing


def test_exports_keep_the_figures(small_ledger):
    from openpyxl import load_workbook

    from portal.reports.exports import statements_csv, statements_pdf, statements_xlsx

    data = financial_statements(start=START, end=END)
    text = statements_csv(data, "Q1").decode()
    assert "Balance sheet,Total assets,,,64600.00" in text and "Cash flow,Closing cash,,,37300.00" in text
    sheet = load_workbook(io.BytesIO(statements_xlsx(data, "Q1"))).active
    values = [row for row in sheet.iter_rows(values_only=True) if row[1] == "Total assets"]
    assert values and values[0][4] == 64600  # a number, not text
    assert statements_pdf(data, "Q1").startswith(b"%PDF")


def test_members_see_a_pack_only_after_two_approvers(client, small_ledger, member, staff_user, deciders, make_user):
    treasurer = staff_user(roles.TREASURER)
    statement = financial_statement_prepare(start=START, end=END, by=treasurer)
    assert not statement.live and statement.data["balance_sheet"]["total_assets"] == "64600.00"
    _post("after-prep", datetime.date(2026, 3, 20), Line("5000", debit=D("5")), Line("1010", credit=D("5")))
    statement.refresh_from_db()
    assert statement.data["income_statement"]["total_expenses"] == "1200.00"  # frozen when prepared

    api = APIClient()
    api.force_authenticate(member.user)
    assert api.get("/api/reports/financial-statements/").json()["results"] == []
    sign_in_verified(client, member.user)
    assert client.get(f"/portal/statements/{statement.pk}/").status_code == 404
    assert client.get(f"/portal/statements/{statement.pk}/pack.pdf").status_code == 404

    # The preparer, an administrator who prepared, cannot approve; a committee member votes once.
    admin = make_user("admin2@sacco.example", role=roles.ADMINISTRATORS)
    mine = financial_statement_prepare(start=START, end=END, by=admin)
    with pytest.raises(PermissionDenied):
        financial_statement_approve(statement=mine, user=admin)
    financial_statement_approve(statement=statement, user=deciders["joseph"])
    with pytest.raises(PermissionDenied):
        financial_statement_approve(statement=statement, user=deciders["joseph"])
    assert not FinancialStatement.objects.get(pk=statement.pk).live
    committee = APIClient()
    committee.force_authenticate(deciders["mercy"])
    body = committee.post(f"/api/reports/financial-statements/{statement.pk}/approve/").json()
    assert body["live"] is True and body["status"] == "Approved"

    listed = api.get("/api/reports/financial-statements/").json()["results"]
    assert [s["id"] for s in listed] == [str(statement.pk)]
    page = client.get(f"/portal/statements/{statement.pk}/")
    assert page.status_code == 200 and "64,600.00" in page.content.decode()
    pdf = client.get(f"/portal/statements/{statement.pk}/pack.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "Statements" in client.get("/portal/statements/").content.decode()


def test_api_prepare_needs_the_permission_and_a_valid_period(small_ledger, member, staff_user):
    api = APIClient()
    api.force_authenticate(member.user)
    body = {"period_start": "2026-01-01", "period_end": "2026-03-31"}
    assert api.post("/api/reports/financial-statements/", body, format="json").status_code == 403
    api.force_authenticate(staff_user(roles.TREASURER))
    bad = api.post("/api/reports/financial-statements/", {"period_start": "2026-04-01", "period_end": "2026-01-01"})
    assert bad.status_code == 400 and "period_start" in bad.json()
    created = api.post("/api/reports/financial-statements/", body, format="json")
    assert created.status_code == 201 and created.json()["status"] == "In approval"
    csv = api.get(f"/api/reports/financial-statements/?output=csv&pk={created.json()['id']}")
    assert csv.status_code == 200 and b"64600.00" in csv.content


def test_admin_page_shows_downloads_and_prepares(client, small_ledger, staff_user):
    treasurer = staff_user(roles.TREASURER)
    sign_in_verified(client, treasurer)
    page = client.get("/admin/reports/financial-statements/?start=2026-01-01&end=2026-03-31")
    assert page.status_code == 200 and "64,600.00" in page.content.decode()
    xlsx = client.get("/admin/reports/financial-statements/?start=2026-01-01&end=2026-03-31&output=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    bad = client.get("/admin/reports/financial-statements/?start=2026-04-01&end=2026-01-01")
    assert bad.status_code == 200 and "ends before it starts" in bad.content.decode()
    client.post("/admin/reports/financial-statements/", {"start": "2026-01-01", "end": "2026-03-31"})
    statement = FinancialStatement.objects.get()
    listing = client.get("/admin/snippets/reports/financialstatement/").content.decode()
    assert f"/admin/reports/financial-statements/{statement.pk}/pdf/" in listing  # readers download the pack
    assert client.get(f"/admin/reports/financial-statements/{statement.pk}/pdf/").content.startswith(b"%PDF")
    review = client.get(f"/admin/snippets/reports/financialstatement/edit/{statement.pk}/")
    assert review.status_code == 302  # the review page is for approvers
    sign_in_verified(client, staff_user(roles.CLERKS))
    assert client.get("/admin/reports/financial-statements/").status_code == 302  # Wagtail: refused, back home
