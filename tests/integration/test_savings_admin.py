"""Savings in the Wagtail admin: check-off upload → preview → confirm, bulk entry, reversal, lists, reports."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from portal.contributions.models import CheckoffImport, ContributionReminder, MonthlyContribution, ShareCapitalPayment
from portal.contributions.services import monthly_contribution_record, share_capital_payment_record
from portal.finance.banking.services import bank_account_primary
from portal.finance.ledger.models import JournalEntry
from portal.finance.ledger.selectors import account_balance
from portal.members import roles
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db
D = Decimal
LAST_MONTH = (datetime.date.today().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
PERIOD = LAST_MONTH.strftime("%Y-%m")


@pytest.fixture
def clerk(client, staff_user):
    user = staff_user(roles.CLERKS)
    sign_in_verified(client, user)
    return user


def _upload(client, content, name="oct.csv", **extra):
    data = {
        "file": SimpleUploadedFile(name, content),
        "period": PERIOD,
        "bank_account": bank_account_primary().pk,
        "received_on": datetime.date.today().isoformat(),
        "below_minimum_reason": "",
        **extra,
    }
    return client.post("/admin/savings/checkoff/", data)


def test_checkoff_upload_previews_then_confirm_posts(client, clerk, make_member):
    member = make_member(payroll_number="P001")
    content = b"payroll_number,share_capital,deposits\nP001,500,1000\n"
    response = _upload(client, content)
    assert response.status_code == 200
    assert b"Confirm and post 1 rows" in response.content
    assert JournalEntry.objects.count() == 0
    form = response.context["confirm_form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    data["confirm"] = "1"
    response = client.post("/admin/savings/checkoff/", data)
    assert response.status_code == 302
    assert account_balance(code="2000", member=member) == D("1000.00")
    # The same file again: the preview says so and a confirm posts nothing.
    response = _upload(client, content, name="copy.csv")
    assert b"already posted" in response.content
    response = client.post("/admin/savings/checkoff/", data)
    assert JournalEntry.objects.count() == 1 and CheckoffImport.objects.count() == 1


def test_checkoff_preview_lists_each_bad_row(client, clerk, make_member):
    make_member(payroll_number="P001")
    response = _upload(client, b"payroll_number,deposits\nP001,1000\nP404,1000\nP001,12.345\n")
    assert response.status_code == 200
    errors = [(e.row, e.field) for e in response.context["preview"].errors]
    assert errors == [(2, "payroll_number"), (3, "deposits")]
    assert b"Nothing can be posted" in response.content and b"Confirm and post" not in response.content


def test_checkoff_form_refuses_month_13(client, clerk):
    response = _upload(client, b"payroll_number,deposits\nP001,1000\n", period="2026-13")
    assert response.status_code == 200
    assert "months run from 01 to 12" in str(response.context["form"].errors["period"])


def test_xlsx_upload_previews(client, clerk, make_member):
    member = make_member(payroll_number="P9")
    book = openpyxl.Workbook()
    book.active.append(["Payroll No", "Deposits"])
    book.active.append(["P9", 1000])
    buffer = io.BytesIO()
    book.save(buffer)
    response = _upload(client, buffer.getvalue(), name="oct.xlsx")
    assert response.context["preview"].can_post
    assert response.context["preview"].rows[0].member_id == member.pk


def test_bulk_entry_posts_all_or_nothing(client, clerk, member, other_member):
    lines = f"{member.membership_number}, 1000, {PERIOD}, R1\n{other_member.membership_number}, 1000, 2026-13, R2\n"
    data = {
        "kind": "monthly",
        "bank_account": bank_account_primary().pk,
        "date": datetime.date.today().isoformat(),
        "lines": lines,
    }
    response = client.post("/admin/savings/record/", data)
    assert response.status_code == 200
    assert response.context["confirm_form"] is None  # a line is wrong: nothing can be confirmed
    assert any("Period" in p for p in response.context["lines"][1].problems)
    assert MonthlyContribution.objects.count() == 0
    data["lines"] = lines.replace("2026-13", PERIOD)
    confirm = {"token": client.post("/admin/savings/record/", data).context["confirm_form"].initial["token"]}
    assert client.post("/admin/savings/record/", {**confirm, "confirm": "1"}).status_code == 302
    again = client.post("/admin/savings/record/", data)  # the same list again: every line was posted before
    assert all(line.already_posted for line in again.context["lines"])
    token = again.context["confirm_form"].initial["token"]
    assert client.post("/admin/savings/record/", {"token": token, "confirm": "1"}).status_code == 302
    assert MonthlyContribution.objects.count() == 2


def test_clerks_cannot_reverse_but_the_treasurer_can(client, clerk, member, staff_user):
    payment = share_capital_payment_record(member=member, amount="2000", reference="SC1").record
    url = f"/admin/savings/share-capital/{payment.pk}/reverse/"
    listing = "/admin/snippets/contributions/sharecapitalpayment/"
    assert url not in client.get(listing).content.decode()  # no Reverse button for clerks
    assert client.post(url, {"reason": "Wrong member"}).status_code == 302
    assert not ShareCapitalPayment.objects.get(pk=payment.pk).is_reversed
    treasurer = staff_user(roles.TREASURER)
    sign_in_verified(client, treasurer)
    assert url in client.get(listing).content.decode()
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": ""}).status_code == 200  # reason required
    assert client.post(url, {"reason": "Wrong member"}).status_code == 302
    assert ShareCapitalPayment.objects.get(pk=payment.pk).is_reversed
    assert account_balance(code="3000", member=member) == D("0.00")


def test_payments_cannot_be_added_edited_or_deleted_in_the_admin(client, staff_user, member):
    admin = staff_user(roles.ADMINISTRATORS)
    sign_in_verified(client, admin)
    payment = monthly_contribution_record(member=member, amount="1000", period=PERIOD, reference="X").record
    base = "/admin/snippets/contributions/monthlycontribution/"
    assert client.get(base).status_code == 200
    for url in (f"{base}add/", f"{base}edit/{payment.pk}/", f"{base}delete/{payment.pk}/"):
        client.post(url, {"amount": "1"})
    payment.refresh_from_db()
    assert payment.amount == D("1000.00") and MonthlyContribution.objects.count() == 1


def test_missing_list_and_reminders_once_per_period(client, clerk, member, other_member):
    monthly_contribution_record(member=member, amount="1000", period=PERIOD, reference="A")
    response = client.get(f"/admin/savings/missing/?period={PERIOD}")
    assert [m.pk for m in response.context["members"]] == [other_member.pk]
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(f"/admin/savings/missing/?period={PERIOD}")
        client.post(f"/admin/savings/missing/?period={PERIOD}")
    assert ContributionReminder.objects.filter(member=other_member).count() == 1
    assert [m.to for m in mail.outbox] == [[other_member.user.email]]
    assert other_member.user.notifications.count() == 1
    assert client.get("/admin/savings/missing/?period=2026-13").context["period_error"]


def test_report_on_screen_and_as_csv_xlsx_pdf(client, clerk, member):
    monthly_contribution_record(member=member, amount="1234.50", period=PERIOD, reference="A")
    response = client.get(f"/admin/savings/report/?kind=monthly&period={PERIOD}")
    assert response.context["report"].grand_total == D("1234.50")
    csv_response = client.get(f"/admin/savings/report/?kind=monthly&period={PERIOD}&format=csv")
    assert "1234.50" in csv_response.content.decode()
    xlsx = client.get(f"/admin/savings/report/?kind=monthly&period={PERIOD}&format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet["A1"].value == "Contributions, " + LAST_MONTH.strftime("%B %Y")  # title, then the tables
    rows = [
        [c.value for c in row] for row in openpyxl.load_workbook(io.BytesIO(xlsx.content)).worksheets[1].iter_rows()
    ]
    assert [member.membership_number, 1234.5] == [rows[3][0], rows[3][2]]
    pdf = client.get(f"/admin/savings/report/?kind=monthly&period={PERIOD}&format=pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    q = (LAST_MONTH.month - 1) // 3 + 1
    quarterly = client.get(f"/admin/savings/report/?kind=quarterly&year={LAST_MONTH.year}&quarter={q}")
    assert len(quarterly.context["report"].periods) == 3 and quarterly.context["report"].grand_total == D("1234.50")


def test_incomplete_share_capital_page(client, clerk, member, other_member):
    share_capital_payment_record(member=member, amount="20000", reference="full")
    response = client.get("/admin/savings/incomplete/")
    assert [m.pk for m, _ in response.context["rows"]] == [other_member.pk]


def test_members_cannot_reach_the_savings_admin(client, member):
    sign_in_verified(client, member.user)
    for url in ("/admin/savings/checkoff/", "/admin/savings/record/", "/admin/savings/report/"):
        assert client.get(url).status_code in (302, 403)
