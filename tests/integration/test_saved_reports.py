"""R6 saved and scheduled reports, and R3's portfolio by product and aging: templates, runs on demand, django-q2
cron schedules, files stored and emailed, and who may see what (each report type's own permission)."""

import ast
import csv
import datetime
import importlib
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client, TestCase
from django.utils import timezone
from django_q.models import Schedule
from openpyxl import load_workbook
from rest_framework.test import APIClient

from portal.contributions.services import monthly_contribution_record, share_capital_payment_record
from portal.loans.jobs import loans_daily
from portal.members import roles
from portal.reports.catalogue import REPORT_TYPES, Period, report_build
from portal.reports.financial import financial_statements
from portal.reports.models import Report, ReportStatus, ReportTrigger, SavedReport
from portal.reports.saved_reports import (
    ReportNotAllowed,
    report_run,
    saved_report_create,
    saved_report_run_scheduled,
)
from tests.conftest import sign_in_verified
from tests.factories import loan_disbursed

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def saver(member):
    share_capital_payment_record(member=member, amount="5000", reference="sc-1", date=datetime.date(2025, 12, 20))
    monthly_contribution_record(
        member=member, amount="2000", period="2025-12", reference="dep-dec", date=datetime.date(2025, 12, 28)
    )
    monthly_contribution_record(
        member=member, amount="2500", period="2026-01", reference="dep-jan", date=datetime.date(2026, 1, 25)
    )
    return member


@pytest.fixture
def treasurer(staff_user):
    return staff_user(roles.TREASURER)


def _csv_rows(run: Report) -> list[list[str]]:
    with run.file.open("rb") as handle:
        return list(csv.reader(io.StringIO(handle.read().decode())))


def test_member_balances_as_csv_and_xlsx_from_the_ledger(saver, treasurer):
    run = report_run(
        report_type="member_balances",
        by=treasurer,
        period=Period.CUSTOM,
        start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2026, 1, 10),
        output_format="csv",
    )
    assert run.status == ReportStatus.DONE and run.rows == 1 and run.covers == "01 Jan 2026 to 10 Jan 2026"
    rows = _csv_rows(run)
    assert rows[0] == ["Member balances", "01 Jan 2026 to 10 Jan 2026"]
    mine = next(r for r in rows if r and r[0] == saver.membership_number)
    assert mine[3:] == ["5000.00", "2000.00", "0.00", "0.00"]  # January's deposit is after the 10th

    run = report_run(
        report_type="member_balances",
        by=treasurer,
        period=Period.CUSTOM,
        start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2026, 1, 31),
        output_format="xlsx",
    )
    with run.file.open("rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    mine = next(r for r in values if r[0] == saver.membership_number)
    assert mine[3:7] == [5000, 4500, 0, 0] and sheet.cell(row=4, column=4).number_format == "#,##0.00"


def test_financial_statements_report_ties_to_the_statements(saver, treasurer):
    start, end = datetime.date(2026, 1, 1), datetime.date(2026, 1, 31)
    data = financial_statements(start=start, end=end)
    report = report_build(report_type=REPORT_TYPES["financial_statements"], start=start, end=end, today=end)
    sections = {s.heading: s for s in report.sections}
    assert sections["Balance sheet"].totals[-1] == D(data["balance_sheet"]["total_liabilities_and_equity"])
    assert sections["Cash flow"].totals[-1] == D(data["cash_flow"]["closing_cash"]) == D("9500.00")
    trial = sections["Trial balance"].totals
    assert trial[2] == trial[3] == D(data["trial_balance"]["debit"])


@pytest.mark.parametrize("output", ["csv", "xlsx", "pdf"])
@pytest.mark.parametrize("report_type", list(REPORT_TYPES))
def test_every_report_type_renders_in_every_format(saver, make_user, report_type, output):
    admin = make_user("admin@sacco.example", role=roles.ADMINISTRATORS)
    admin.groups.add(*Group.objects.filter(name__in=[roles.AUDITORS, roles.TREASURER]))
    run = report_run(report_type=report_type, by=admin, period=Period.PREVIOUS_YEAR, output_format=output)
    assert run.status == ReportStatus.DONE, run.error
    with run.file.open("rb") as handle:
        content = handle.read()
    if output == "pdf":
        assert content.startswith(b"%PDF")
    elif output == "xlsx":
        assert load_workbook(io.BytesIO(content)).sheetnames
    else:
        assert content.decode().splitlines()[0].startswith(REPORT_TYPES[report_type].label)


def test_portfolio_by_product_and_aging(borrower, products, staff_user):
    from portal.loans.selectors import portfolio_aging, portfolio_by_product

    loan = loan_disbursed(
        borrower=borrower, products=products, staff_user=staff_user
    )  # development, 100,000 over 12 months from 15 Jan 2026
    today = datetime.date(2026, 4, 1)
    loans_daily(today=today)  # Feb and Mar unpaid: 45 days past due, a 1 % penalty on each
    rows = {r.product: r for r in portfolio_by_product(today=today)}
    development = rows["Development loan"]
    overdue_by_hand = 2 * D("8884.88") + 2 * D("88.85")
    independent = sum((i.outstanding for i in loan.instalments.filter(due_date__lte=today)), D("0"))
    assert development.loans == 1 and development.outstanding == D("100000.00")
    assert development.overdue == overdue_by_hand == independent == D("17947.46")
    assert development.at_risk_30 == D("100000.00") and development.par30 == D("100.00")
    assert development.provision == D("25000.00")  # substandard
    aging = {r.label: r for r in portfolio_aging(today=today)}
    assert aging["31–60 days"].loans == 1 and aging["31–60 days"].overdue == D("17947.46")
    assert sum(r.loans for r in aging.values()) == 1

    arrears = report_build(report_type=REPORT_TYPES["loans_in_arrears"], start=today, end=today, today=today)
    [row] = arrears.sections[0].rows
    assert row[0] == borrower.membership_number and row[5] == 45 and row[-1] == D("17947.46")

    client = Client()
    sign_in_verified(client, staff_user(roles.AUDITORS))
    page = client.get("/admin/loans/portfolio/").content.decode()
    assert "By product" in page and "Development loan" in page and "31–60 days" in page


def test_each_report_type_needs_its_permission(saver, staff_user, treasurer):
    officer = staff_user(roles.LOANS_OFFICERS)
    with pytest.raises(ReportNotAllowed):
        report_run(report_type="financial_statements", by=officer)
    with pytest.raises(ReportNotAllowed):
        saved_report_create(name="Books", report_type="member_balances", by=officer)
    assert report_run(report_type="loan_portfolio", by=officer).status == ReportStatus.DONE

    saved = saved_report_create(name="Monthly books", report_type="financial_statements", by=treasurer)
    api = APIClient()
    api.force_authenticate(officer)
    assert api.get("/api/reports/saved-reports/").json()["results"] == []
    assert api.post(f"/api/reports/saved-reports/{saved.pk}/run-report/", {}, format="json").status_code == 404
    treasurer_run = report_run(report_type="financial_statements", by=treasurer)
    assert api.get(f"/api/reports/reports/{treasurer_run.pk}/download/").status_code == 404
    assert str(treasurer_run.pk) not in str(api.get("/api/reports/reports/").json())

    api.force_authenticate(saver.user)  # a member: none of it
    for url in [
        "/api/reports/reports/",
        "/api/reports/saved-reports/",
        f"/api/reports/reports/{treasurer_run.pk}/download/",
    ]:
        assert api.get(url).status_code == 403, url


def test_recipients_must_be_allowed_to_see_the_report(saver, treasurer, staff_user):
    with pytest.raises(ValidationError) as refused:
        saved_report_create(name="Books", report_type="financial_statements", by=treasurer, recipients=[saver.user])
    assert "recipients" in refused.value.message_dict and saver.user.email in str(refused.value)
    assert SavedReport.objects.count() == 0
    auditor = staff_user(roles.AUDITORS)
    saved = saved_report_create(name="Books", report_type="financial_statements", by=treasurer, recipients=[auditor])
    assert list(saved.recipients.all()) == [auditor]


def test_api_saves_schedules_runs_and_unschedules(saver, treasurer, staff_user):
    auditor = staff_user(roles.AUDITORS)
    api = APIClient()
    api.force_authenticate(treasurer)
    bad = api.post(
        "/api/reports/saved-reports/",
        {"name": "Books", "report_type": "financial_statements", "period": "custom", "start_date": "2026-01-01"},
        format="json",
    )
    assert bad.status_code == 400 and "end_date" in bad.json()
    unknown = api.post(
        "/api/reports/saved-reports/",
        {"name": "Books", "report_type": "financial_statements", "recipients": ["nobody@example.com"]},
        format="json",
    )
    assert unknown.status_code == 400 and "nobody@example.com" in unknown.json()["recipients"][0]
    assert SavedReport.objects.count() == 0 and Schedule.objects.filter(name__startswith="Saved report").count() == 0

    created = api.post(
        "/api/reports/saved-reports/",
        {
            "name": "Monthly balances",
            "report_type": "member_balances",
            "period": "previous_month",
            "output_format": "xlsx",
            "frequency": "monthly",
            "recipients": [auditor.email],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    saved = SavedReport.objects.get(pk=body["id"])
    assert body["frequency"] == "monthly" and body["recipients"] == [auditor.email] and saved.owner == treasurer
    schedule = saved.schedule
    assert schedule.func == "portal.reports.saved_reports.saved_report_run_scheduled"
    assert schedule.schedule_type == Schedule.CRON and schedule.cron == "0 6 1 * *"
    next_run = timezone.localtime(schedule.next_run)
    assert (next_run.day, next_run.hour, next_run.minute) == (1, 6, 0) and next_run > timezone.now()

    weekly = api.post(f"/api/reports/saved-reports/{saved.pk}/schedule/", {"frequency": "weekly"}, format="json")
    assert weekly.status_code == 200 and weekly.json()["frequency"] == "weekly"
    schedule.refresh_from_db()
    assert schedule.cron == "0 6 * * 1" and Schedule.objects.filter(name__startswith="Saved report").count() == 1

    mail.outbox.clear()
    ran = api.post(f"/api/reports/saved-reports/{saved.pk}/run-report/", {"email": True}, format="json")
    assert ran.status_code == 201 and ran.json()["emailed_to"] == [auditor.email]
    assert mail.outbox[-1].attachments[0][0].endswith(".xlsx")
    download = api.get(ran.json()["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content)[:2] == b"PK"
    listed = api.get(f"/api/reports/reports/?saved_report={saved.pk}").json()["results"]
    assert [r["id"] for r in listed] == [ran.json()["id"]]

    off = api.post(f"/api/reports/saved-reports/{saved.pk}/schedule/", {"frequency": "none"}, format="json")
    assert off.status_code == 200 and off.json()["next_run"] is None
    assert not Schedule.objects.filter(pk=schedule.pk).exists()


def test_the_schedule_runs_as_the_owner_and_emails_the_recipients(saver, treasurer, staff_user):
    auditor = staff_user(roles.AUDITORS)
    saved = saved_report_create(
        name="Weekly arrears",
        report_type="financial_statements",
        by=treasurer,
        period=Period.YEAR_TO_DATE,
        frequency="weekly",
        recipients=[auditor],
    )
    schedule = saved.schedule
    module, func = schedule.func.rsplit(".", 1)
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        getattr(importlib.import_module(module), func)(*[ast.literal_eval(schedule.args)])  # as django-q calls it
    run = Report.objects.get(saved_report=saved)
    assert run.trigger == ReportTrigger.SCHEDULE and run.status == ReportStatus.DONE and run.requested_by == treasurer
    [message] = mail.outbox
    assert message.to == [auditor.email] and "Weekly arrears" in message.subject
    assert message.attachments[0][2] == "application/pdf" and message.attachments[0][1].startswith(b"%PDF")

    # The auditor leaves the role: the next run skips them. The owner loses it: the run is refused, on record.
    auditor.groups.clear()
    mail.outbox.clear()
    saved_report_run_scheduled(str(saved.pk))
    assert mail.outbox == [] and Report.objects.filter(saved_report=saved).count() == 2
    treasurer.groups.clear()
    treasurer = type(treasurer).objects.get(pk=treasurer.pk)  # drop the permission cache
    assert saved_report_run_scheduled(str(saved.pk)) == "refused"
    refused = Report.objects.filter(saved_report=saved).first()
    assert refused.status == ReportStatus.FAILED and "may no longer see" in refused.error and not refused.file


def test_admin_creates_runs_and_downloads(client, saver, treasurer, staff_user):
    auditor = staff_user(roles.AUDITORS)
    sign_in_verified(client, treasurer)
    form = client.get("/admin/snippets/reports/savedreport/add/").content.decode()
    assert "Financial statements" in form and "Member balances" in form
    response = client.post(
        "/admin/snippets/reports/savedreport/add/",
        {
            "name": "Board pack",
            "report_type": "financial_statements",
            "period": "previous_quarter",
            "output_format": "pdf",
            "frequency": "monthly",
            "recipients": [str(auditor.pk)],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = SavedReport.objects.get(name="Board pack")
    assert saved.owner == treasurer and saved.schedule.cron == "0 6 1 * *"

    bad = client.post(
        f"/admin/snippets/reports/savedreport/edit/{saved.pk}/",
        {"name": "Board pack", "report_type": "financial_statements", "period": "custom", "output_format": "pdf"},
    )
    assert bad.status_code == 200 and "Give the last day for fixed dates." in bad.content.decode()
    saved.refresh_from_db()
    assert saved.period == "previous_quarter" and saved.schedule is not None  # nothing half-written

    listing = client.get("/admin/snippets/reports/savedreport/").content.decode()
    assert "Board pack" in listing and f"/admin/reports/saved/{saved.pk}/run/" in listing
    assert client.get(f"/admin/reports/saved/{saved.pk}/run/").status_code == 200
    ran = client.post(f"/admin/reports/saved/{saved.pk}/run/", {"email": "1"})
    assert ran.status_code == 302
    run = Report.objects.get(saved_report=saved)
    assert run.emailed_to == auditor.email
    runs = client.get(f"/admin/snippets/reports/report/?saved_report={saved.pk}").content.decode()
    assert f"/admin/reports/runs/{run.pk}/download/" in runs
    assert f'<option value="{saved.pk}" selected>Board pack</option>' in runs  # the filter names it here
    inspect = client.get(f"/admin/snippets/reports/report/inspect/{run.pk}/").content.decode()
    assert auditor.email in inspect  # who got it by email
    pdf = client.get(f"/admin/reports/runs/{run.pk}/download/")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")

    officer = staff_user(roles.LOANS_OFFICERS)
    sign_in_verified(client, officer)
    form = client.get("/admin/snippets/reports/savedreport/add/").content.decode()
    assert "Loan portfolio" in form and "Financial statements" not in form
    assert "Board pack" not in client.get("/admin/snippets/reports/savedreport/").content.decode()
    assert "Board pack" not in client.get("/admin/snippets/reports/report/").content.decode()  # not even the filter
    assert client.get(f"/admin/reports/runs/{run.pk}/download/").status_code == 404
    assert client.get(f"/admin/snippets/reports/report/inspect/{run.pk}/").status_code in (302, 403)
    assert client.get(f"/admin/snippets/reports/savedreport/edit/{saved.pk}/").status_code in (302, 403)


def test_a_mail_failure_keeps_the_run_and_says_who_got_it(saver, treasurer, staff_user, monkeypatch):
    from django.core.mail import EmailMessage

    auditor, admin = staff_user(roles.AUDITORS), staff_user(roles.ADMINISTRATORS)
    saved = saved_report_create(
        name="Books", report_type="financial_statements", by=treasurer, recipients=[admin, auditor]
    )
    real_send, calls = EmailMessage.send, []

    def flaky_send(message, *args, **kwargs):
        calls.append(message.to)
        if len(calls) == 2:
            raise ConnectionRefusedError("SMTP server down")
        return real_send(message, *args, **kwargs)

    monkeypatch.setattr(EmailMessage, "send", flaky_send)
    assert saved_report_run_scheduled(str(saved.pk)).startswith("done")
    run = Report.objects.get(saved_report=saved)
    assert run.status == ReportStatus.DONE and run.file
    assert run.emailed_to == calls[0][0] and "SMTP server down" in run.error
