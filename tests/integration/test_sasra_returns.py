"""Issue 18: SASRA returns at a month end from the ledger and the loan book — hand-computed figures on a small built
ledger with loans in every class, the 1100 control account equal to the classes' total (a loan written off before
as_of out, one written off after in), drill-downs summing to their figures, checks against the trial balance, the
API (permissions, 400s, XLSX), the admin screen, the two-person approval and the saved report type.

The books at 31 March 2026 (KES):
  cash 1010 631,100 (share capital 100,000 + opening reserves 20,000 + deposits 560,000 − loans paid out 58,500
  + repayments 7,800 + interest 3,000 − expense 1,200), M-Pesa 1011 1,500 (suspense 2300);
  loans 1100 48,700, provision 1190 6,000 (8,000 made, 2,000 used by a write-off) → total assets 675,300;
  deposits 2000 560,000 (Amina 40,000, Brian 120,000, Chebet 400,000); equity 3000 100,000, 3100 5,000,
  3200 15,000; income 3,000, expenses 1,200 + provision 8,000 → a loss of 6,200 for the year so far.
Loans (equal principal instalments, monthly, no interest on the schedule):
  L1 Amina 12,000 (1,000 a month from 31 Jan 2026), 3 paid → 9,000, performing
  L2 Brian 24,000 (2,000 from 15 Nov 2025), 2 paid → 20,000, 15 Jan unpaid: 75 days, substandard
  L3 Chebet 6,000 (500 from 20 Feb 2026), 1 paid → 5,500, 20 Mar unpaid: 11 days, watch
  L4 Brian 10,000 (1,000 from 1 Jan 2025), none paid → 10,000, 454 days, loss
  L5 Chebet 3,000 (300 from 1 Jul 2025), 1 paid → 2,700, 1 Aug unpaid: 242 days, doubtful
  L6 Chebet 2,000, written off 10 Feb 2026 → nil at 31 March: not in the returns
  L7 Brian 1,500 (from 1 Apr 2025), written off 15 April 2026 (after as_of) → 1,500 at 31 March, 364 days, loss
Amina sits on the credit committee: an insider, with L1 and a guarantee of 8,000 on Brian's L2.
"""

import calendar
import datetime
import io
import uuid
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from portal.finance.ledger.services import Line, ledger_post
from portal.loans.demo import loans_seed
from portal.loans.models import (
    Guarantee,
    GuaranteeStatus,
    Loan,
    LoanApplication,
    LoanInstalment,
    LoanProduct,
    LoanStatus,
)
from portal.members import roles
from portal.reports.catalogue import REPORT_TYPES
from portal.reports.models import ReportStatus, SasraReturn
from portal.reports.sasra import RETURNS, classes_at, loan_balances, sasra_returns
from portal.reports.saved_reports import report_run
from portal.reports.services import sasra_return_approve, sasra_return_prepare
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db
D = Decimal
AS_OF = datetime.date(2026, 3, 31)


def _post(key, date, *lines):
    ledger_post(memo=key, lines=list(lines), idempotency_key=key, date=date, source="test")


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _loan(member, key, amount, disbursed, first_due, n, *, paid=0, status=LoanStatus.ACTIVE):
    """A loan of `n` equal principal instalments from `first_due`, paid out on `disbursed` (1100 / 1010) and its
    first `paid` instalments repaid on their due dates (1010 / 1100), every line naming the loan."""
    product = LoanProduct.objects.order_by("name").first()
    application = LoanApplication.objects.create(
        member=member,
        product=product,
        amount=amount,
        term_months=n,
        purpose="test",
        annual_rate=D("12"),
        method="annuity",
        status="disbursed",
    )
    loan = Loan.objects.create(
        id=uuid.uuid4(),
        application=application,
        member=member,
        product=product,
        principal=amount,
        amount_paid_out=amount,
        annual_rate=D("12"),
        method="annuity",
        term_months=n,
        disbursed_on=disbursed,
        status=status,
    )
    each = amount / n
    _post(
        f"{key}-out",
        disbursed,
        Line("1100", debit=amount, member_id=member.pk, loan_id=loan.pk),
        Line("1010", credit=amount),
    )
    for i in range(n):
        due = _add_months(first_due, i)
        LoanInstalment.objects.create(
            loan=loan,
            number=i + 1,
            due_date=due,
            principal=each,
            interest=D("0"),
            principal_paid=each if i < paid else D("0"),
        )
        if i < paid:
            _post(
                f"{key}-repay-{i}",
                due,
                Line("1010", debit=each),
                Line("1100", credit=each, member_id=member.pk, loan_id=loan.pk),
            )
    return loan


@pytest.fixture
def books(make_member):
    loans_seed()
    amina = make_member(first_name="Amina", last_name="Wanjiru")
    brian = make_member(first_name="Brian", last_name="Otieno")
    chebet = make_member(first_name="Chebet", last_name="Kiprop")
    amina.user.groups.add(Group.objects.get(name=roles.CREDIT_COMMITTEE))
    day = datetime.date(2026, 1, 5)
    _post("opening", datetime.date(2025, 12, 31), Line("1010", debit=D("20000")), Line("3200", credit=D("20000")))
    _post("reserve", datetime.date(2026, 1, 2), Line("3200", debit=D("5000")), Line("3100", credit=D("5000")))
    _post(
        "shares",
        day,
        Line("1010", debit=D("100000")),
        Line("3000", credit=D("40000"), member_id=amina.pk),
        Line("3000", credit=D("60000"), member_id=brian.pk),
    )
    _post(
        "deposits",
        day,
        Line("1010", debit=D("560000")),
        Line("2000", credit=D("40000"), member_id=amina.pk),
        Line("2000", credit=D("120000"), member_id=brian.pk),
        Line("2000", credit=D("400000"), member_id=chebet.pk),
    )
    _post("suspense", day, Line("1011", debit=D("1500")), Line("2300", credit=D("1500")))
    loans = {
        "L1": _loan(amina, "L1", D("12000"), datetime.date(2025, 12, 31), datetime.date(2026, 1, 31), 12, paid=3),
        "L2": _loan(brian, "L2", D("24000"), datetime.date(2025, 10, 15), datetime.date(2025, 11, 15), 12, paid=2),
        "L3": _loan(chebet, "L3", D("6000"), datetime.date(2026, 1, 20), datetime.date(2026, 2, 20), 12, paid=1),
        "L4": _loan(brian, "L4", D("10000"), datetime.date(2024, 12, 1), datetime.date(2025, 1, 1), 10),
        "L5": _loan(chebet, "L5", D("3000"), datetime.date(2025, 6, 1), datetime.date(2025, 7, 1), 10, paid=1),
        "L6": _loan(chebet, "L6", D("2000"), datetime.date(2025, 1, 1), datetime.date(2025, 2, 1), 4),
        "L7": _loan(brian, "L7", D("1500"), datetime.date(2025, 3, 1), datetime.date(2025, 4, 1), 3),
    }
    _post("interest", datetime.date(2026, 3, 1), Line("1010", debit=D("3000")), Line("4000", credit=D("3000")))
    _post("expense", datetime.date(2026, 3, 15), Line("5000", debit=D("1200")), Line("1010", credit=D("1200")))
    _post("provision", datetime.date(2026, 1, 31), Line("5200", debit=D("8000")), Line("1190", credit=D("8000")))
    for key, day, loan in (
        ("L6", datetime.date(2026, 2, 10), loans["L6"]),
        ("L7", datetime.date(2026, 4, 15), loans["L7"]),
    ):
        _post(
            f"{key}-write-off",
            day,
            Line("1190", debit=loan.principal),
            Line("1100", credit=loan.principal, member_id=loan.member_id, loan_id=loan.pk),
        )
        Loan.objects.filter(pk=loan.pk).update(status=LoanStatus.WRITTEN_OFF, closed_on=day)
    # After as_of: must not count.
    _post(
        "april",
        datetime.date(2026, 4, 2),
        Line("1010", debit=D("7777")),
        Line("2000", credit=D("7777"), member_id=amina.pk),
    )
    Guarantee.objects.create(
        application=loans["L2"].application, guarantor=amina, amount=D("8000"), status=GuaranteeStatus.ACCEPTED
    )
    return {"amina": amina, "brian": brian, "chebet": chebet, "loans": loans}


def _figures(ret):
    return {f["key"]: f["amount"] for f in ret["figures"]}


def _ratios(ret):
    return {r["key"]: (r["percent"], r["minimum"], r["meets"]) for r in ret["ratios"]}


def test_hand_computed_returns_on_a_small_ledger(books):
    data = sasra_returns(as_of=AS_OF)
    capital = data["capital_adequacy"]
    assert _figures(capital) == {
        "share_capital": "100000.00",
        "institutional_capital": "13800.00",  # 5,000 + 15,000 − 6,200
        "current_result": "-6200.00",
        "deductions": "0.00",
        "core_capital": "113800.00",
        "total_assets": "675300.00",
        "total_deposits": "560000.00",
    }
    assert _ratios(capital) == {
        "core_capital_to_assets": ("16.85", "10.00", True),  # 113,800 / 675,300
        "institutional_capital_to_assets": ("2.04", "8.00", False),  # 13,800 / 675,300
        "core_capital_to_deposits": ("20.32", "8.00", True),  # 113,800 / 560,000
    }
    liquidity = data["liquidity"]
    assert _figures(liquidity) == {"liquid_assets": "632600.00", "short_term_liabilities": "561500.00"}
    assert _ratios(liquidity) == {"liquidity": ("112.66", "15.00", True)}  # 632,600 / 561,500

    deposits = data["deposit_return"]
    assert [(b["band"], b["depositors"], b["amount"]) for b in deposits["bands"]] == [
        ("Up to 50,000", 1, "40000.00"),
        ("50,001 – 100,000", 0, "0.00"),
        ("100,001 – 300,000", 1, "120000.00"),
        ("300,001 – 1,000,000", 1, "400000.00"),
        ("Over 1,000,000", 0, "0.00"),
    ]
    assert (deposits["total_depositors"], deposits["total_amount"]) == (3, "560000.00")

    risk = data["risk_classification"]
    assert [(r["classification"], r["loans"], r["outstanding"], r["provision_required"]) for r in risk["classes"]] == [
        ("performing", 1, "9000.00", "90.00"),
        ("watch", 1, "5500.00", "275.00"),
        ("substandard", 1, "20000.00", "5000.00"),
        ("doubtful", 1, "2700.00", "1350.00"),
        ("loss", 2, "11500.00", "11500.00"),  # L4 and L7 (written off after as_of)
    ]
    assert risk["total_outstanding"] == "48700.00"
    assert (risk["provision_required"], risk["provision_held"], risk["provision_shortfall"]) == (
        "18215.00",
        "6000.00",
        "12215.00",
    )

    insider = data["insider_lending"]
    assert len(insider["insiders"]) == 1
    amina = insider["insiders"][0]
    assert amina["roles"] == [roles.CREDIT_COMMITTEE]
    assert [(loan["loan"], loan["outstanding"], loan["classification"]) for loan in amina["loans"]] == [
        (str(books["loans"]["L1"].pk), "9000.00", "performing")
    ]
    assert [(g["loan"], g["amount"], g["borrower_outstanding"]) for g in amina["guarantees"]] == [
        (str(books["loans"]["L2"].pk), "8000.00", "20000.00")
    ]
    assert (insider["total_outstanding"], insider["total_guaranteed"]) == ("9000.00", "8000.00")
    assert (insider["share_of_loans"], insider["share_of_core_capital"]) == ("18.48", "7.91")

    for key in RETURNS:  # every return ties to the trial balance
        assert data[key]["checks"] and all(c["ties"] for c in data[key]["checks"]), data[key]["checks"]
    assert data["ties"] is True


def test_total_outstanding_equals_the_1100_control_account_at_each_month_end(books):
    from portal.finance.ledger.selectors import account_balance

    for as_of in (datetime.date(2026, 1, 31), datetime.date(2026, 2, 28), AS_OF, datetime.date(2026, 4, 30)):
        risk = sasra_returns(as_of=as_of)["risk_classification"]
        assert D(risk["total_outstanding"]) == account_balance(code="1100", as_of=as_of)
        assert D(risk["provision_held"]) == account_balance(code="1190", as_of=as_of)  # credit-normal contra
    # In April L7 is written off: 1,500 less (nothing else moves on 1100 in April).
    assert sasra_returns(as_of=datetime.date(2026, 4, 30))["risk_classification"]["total_outstanding"] == "47200.00"


def test_each_drill_down_sums_to_its_figure(books):
    data = sasra_returns(as_of=AS_OF)
    for key in ("capital_adequacy", "liquidity"):
        for figure in data[key]["figures"]:
            assert sum((D(a["amount"]) for a in figure["accounts"]), D("0")) == D(figure["amount"]), figure
    institutional = next(f for f in data["capital_adequacy"]["figures"] if f["key"] == "institutional_capital")
    assert {a["code"] for a in institutional["accounts"]} == {"3100", "3200", "4000", "5000", "5200"}
    for band in data["deposit_return"]["bands"]:
        assert sum((D(a["amount"]) for a in band["accounts"]), D("0")) == D(band["amount"])
    for row in data["risk_classification"]["classes"]:
        assert [a["code"] for a in row["accounts"]] == ["1100"]
        assert D(row["accounts"][0]["amount"]) == D(row["outstanding"])
    held = data["risk_classification"]["provision_accounts"]
    assert [(a["code"], a["amount"]) for a in held] == [("1190", "6000.00")]


def test_a_new_equity_account_counts_in_institutional_capital(books):
    from portal.finance.ledger.models import Account

    Account.objects.create(code="3120", name="Education fund", type="equity")
    _post("other-reserve", AS_OF, Line("3200", debit=D("1000")), Line("3120", credit=D("1000")))
    figures = _figures(sasra_returns(as_of=AS_OF)["capital_adequacy"])
    assert figures["institutional_capital"] == "13800.00" and figures["core_capital"] == "113800.00"
    institutional = next(
        f for f in sasra_returns(as_of=AS_OF)["capital_adequacy"]["figures"] if f["key"] == "institutional_capital"
    )
    assert {"code": "3120", "name": "Education fund", "amount": "1000.00"} in institutional["accounts"]


# --- API ------------------------------------------------------------------------------------------------------


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


URL = "/api/reports/sasra-returns/"


def test_api_returns_the_five_returns_to_ledger_readers(books, staff_user):
    response = _api(staff_user(roles.TREASURER)).get(URL, {"as_of": "2026-03-31"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(RETURNS) <= set(body) and body["as_of"] == "2026-03-31"
    assert body["risk_classification"]["total_outstanding"] == "48700.00"


def test_api_refuses_members_and_staff_who_do_not_read_the_ledger(books, staff_user):
    assert _api(books["brian"].user).get(URL, {"as_of": "2026-03-31"}).status_code in (403, 404)
    assert _api(staff_user(roles.CLERKS)).get(URL, {"as_of": "2026-03-31"}).status_code == 403


@pytest.mark.parametrize("as_of", ["", "2026-13-01", "yesterday", "2026-03-30"])
def test_api_bad_or_mid_month_as_of_is_a_400_naming_it(books, staff_user, as_of):
    response = _api(staff_user(roles.TREASURER)).get(URL, {"as_of": as_of} if as_of else {})
    assert response.status_code == 400
    assert "as_of" in response.json()


def test_api_xlsx_has_a_sheet_per_return_with_typed_cells(books, staff_user):
    response = _api(staff_user(roles.AUDITORS)).get(URL, {"as_of": "2026-03-31", "output": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "Capital adequacy",
        "Liquidity",
        "Deposit return",
        "Risk classification",
        "Insider lending",
        "Checks",
    ]
    risk = [row for row in book["Risk classification"].iter_rows(values_only=True)]
    total = next(row for row in risk if row[0] == "Total")
    assert total[1] == 6 and D(str(total[2])) == D("48700") and isinstance(total[2], (int, float))


def test_the_openapi_schema_describes_the_endpoint(staff_user):
    api = _api(staff_user(roles.ADMINISTRATORS))
    schema = api.get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    operation = schema.json()["paths"][URL]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"as_of", "output"}
    assert "400" in operation["responses"]


# --- approval -------------------------------------------------------------------------------------------------


def test_prepared_returns_need_two_approvers_other_than_the_preparer(books, staff_user, deciders, make_user):
    treasurer = staff_user(roles.TREASURER)
    with pytest.raises(ValidationError) as excinfo:
        sasra_return_prepare(as_of=datetime.date(2026, 3, 30), by=treasurer)
    assert "as_of" in excinfo.value.message_dict
    record = sasra_return_prepare(as_of=AS_OF, by=treasurer)
    assert record.data["risk_classification"]["total_outstanding"] == "48700.00" and not record.live
    # The numbers are frozen: a later posting dated in March changes the live returns, not the snapshot.
    _post("late", AS_OF, Line("1010", debit=D("100")), Line("2000", credit=D("100"), member_id=books["brian"].pk))
    record.refresh_from_db()
    assert record.data["deposit_return"]["total_amount"] == "560000.00"

    admin = make_user("admin2@sacco.example", role=roles.ADMINISTRATORS)
    admin.groups.add(*treasurer.groups.all())  # a preparer who is also an approver still may not approve
    own = sasra_return_prepare(as_of=AS_OF, by=admin)
    with pytest.raises(PermissionDenied):
        sasra_return_approve(record=own, user=admin)

    sasra_return_approve(record=record, user=deciders["joseph"])
    assert not SasraReturn.objects.get(pk=record.pk).live
    with pytest.raises(PermissionDenied):  # the same person twice
        sasra_return_approve(record=record, user=deciders["joseph"])
    sasra_return_approve(record=record, user=deciders["mercy"])
    assert SasraReturn.objects.get(pk=record.pk).live


# --- saved report ---------------------------------------------------------------------------------------------


def test_the_saved_report_type_runs_for_the_periods_end(books, staff_user):
    assert "sasra_returns" in REPORT_TYPES
    treasurer = staff_user(roles.TREASURER)
    run = report_run(
        report_type="sasra_returns",
        by=treasurer,
        period="previous_month",
        output_format="xlsx",
        today=datetime.date(2026, 4, 10),
    )
    assert run.status == ReportStatus.DONE, run.error
    assert run.period_end == AS_OF
    book = openpyxl.load_workbook(io.BytesIO(run.file.read()))
    deposits = [row for row in book["Deposit return"].iter_rows(values_only=True)]
    assert next(row for row in deposits if row[0] == "Total")[1:] == (3, 560000)


# --- admin ----------------------------------------------------------------------------------------------------


def test_admin_screen_shows_the_returns_drill_down_and_prepares(client, books, staff_user, deciders):
    treasurer = staff_user(roles.TREASURER)
    sign_in_verified(client, treasurer)
    url = reverse("reports_sasra_returns")
    page = client.get(url, {"as_of": "2026-03-31"})
    assert page.status_code == 200
    text = page.content.decode()
    for heading in ("Capital adequacy", "Liquidity", "Deposit return", "Risk classification", "Insider lending"):
        assert heading in text
    assert "48,700.00" in text and "1190" in text  # the figure and, in its drill-down, its accounts
    bad = client.get(url, {"as_of": "2026-03-30"})
    assert bad.status_code == 200 and "month end" in bad.content.decode()
    xlsx = client.get(url, {"as_of": "2026-03-31", "output": "xlsx"})
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    response = client.post(url, {"as_of": "2026-03-31"})
    assert response.status_code == 302
    record = SasraReturn.objects.get()
    assert record.prepared_by == treasurer

    # An approver lists the snapshots and opens one: the frozen returns, drill-downs and the XLSX download.
    approver = deciders["joseph"]
    client.force_login(approver)
    sign_in_verified(client, approver)
    listing = client.get(reverse("wagtailsnippets_reports_sasrareturn:list"))
    assert listing.status_code == 200 and "SASRA returns 31 Mar 2026" in listing.content.decode()
    inspect = client.get(reverse("wagtailsnippets_reports_sasrareturn:inspect", args=[record.pk]))
    assert inspect.status_code == 200 and "48,700.00" in inspect.content.decode()
    download = client.get(reverse("reports_sasra_return_download", args=[record.pk]))
    assert download.status_code == 200
    assert "Risk classification" in openpyxl.load_workbook(io.BytesIO(download.content)).sheetnames


def test_admin_screen_refuses_those_who_do_not_read_the_ledger(client, books, staff_user):
    clerk = staff_user(roles.CLERKS)
    sign_in_verified(client, clerk)
    assert client.get(reverse("reports_sasra_returns"), {"as_of": "2026-03-31"}).status_code in (302, 403)


# --- the demo books -------------------------------------------------------------------------------------------


def test_on_the_demo_books_every_return_ties_at_the_last_month_ends(settings, tmp_path):
    from django.core.management import call_command
    from django.utils import timezone

    from portal.finance.ledger.selectors import account_balance

    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", members=12, years=2, stdout=io.StringIO())
    month_end = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    for _ in range(3):
        data = sasra_returns(as_of=month_end)
        risk = data["risk_classification"]
        assert D(risk["total_outstanding"]) == account_balance(code="1100", as_of=month_end) > 0
        assert D(risk["unattributed"]) == 0 and risk["total_loans"] > 0
        assert D(data["deposit_return"]["total_amount"]) == account_balance(code="2000", as_of=month_end)
        failing = [c for key in RETURNS for c in data[key]["checks"] if not c["ties"]]
        assert failing == [] and data["ties"]
        month_end = month_end.replace(day=1) - datetime.timedelta(days=1)
    # Rebuilt for today, each loan's class is the one the daily loan job gave it.
    today = timezone.localdate()
    balances = loan_balances(as_of=today)
    stored = dict(Loan.objects.filter(pk__in=list(balances)).values_list("pk", "classification"))
    assert balances and classes_at(as_of=today, balances=balances) == stored


def test_api_prepares_and_two_others_approve(books, staff_user, deciders):
    treasurer = staff_user(roles.TREASURER)
    assert _api(staff_user(roles.AUDITORS)).post(f"{URL}?as_of=2026-03-31").status_code == 403
    assert _api(treasurer).post(f"{URL}?as_of=2026-03-15").status_code == 400
    created = _api(treasurer).post(f"{URL}?as_of=2026-03-31")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "In approval" and body["data"]["risk_classification"]["total_outstanding"] == "48700.00"
    approve = f"{URL}{body['id']}/approve/"
    assert _api(treasurer).post(approve, {}, format="json").status_code == 403  # prepares, does not approve
    assert _api(deciders["joseph"]).post(approve, {"action": "maybe"}, format="json").status_code == 400
    assert _api(deciders["joseph"]).post(approve, {}, format="json").json()["status"] == "In approval"
    assert _api(deciders["joseph"]).post(approve, {}, format="json").status_code == 403  # not twice
    final = _api(deciders["mercy"]).post(approve, {}, format="json")
    assert final.status_code == 200 and final.json()["status"] == "Approved" and final.json()["live"] is True


def test_empty_books_give_nil_returns_that_tie(db):
    import json

    data = sasra_returns(as_of=AS_OF)
    assert data["ties"] and "-0.00" not in json.dumps(data)
    assert [r["percent"] for r in data["capital_adequacy"]["ratios"]] == [None, None, None]
    assert not any(r["meets"] for r in data["capital_adequacy"]["ratios"])
    assert data["risk_classification"]["total_outstanding"] == "0.00" and data["insider_lending"]["insiders"] == []
