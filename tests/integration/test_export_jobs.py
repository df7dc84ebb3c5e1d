"""Large downloads in the background (issue 14): above EXPORT_BACKGROUND_ROWS a report download becomes an export
job with a progress page, built by the worker into the same file, downloaded by the one who asked."""

import datetime
import io
import re

import openpyxl
import pytest

from portal.contributions.services import monthly_contribution_record
from portal.members import roles
from portal.reports import export_jobs
from portal.reports.export_jobs import export_job_build
from portal.reports.models import ExportJob, ExportJobStatus, Report
from portal.reports.saved_reports import saved_report_create
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db
LAST_MONTH = (datetime.date.today().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
PERIOD = LAST_MONTH.strftime("%Y-%m")
REPORT = f"/admin/savings/report/?kind=monthly&period={PERIOD}&format=csv"


@pytest.fixture
def clerk(client, staff_user):
    user = staff_user(roles.CLERKS)
    sign_in_verified(client, user)
    return user


@pytest.fixture
def three_members(make_member):
    members = [make_member(first_name=name) for name in ("Amina", "Brian", "Chebet")]
    for i, m in enumerate(members):
        monthly_contribution_record(member=m, amount="1500", period=PERIOD, reference=f"R{i}")
    return members


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _confirm(client, url):
    """GET the export's start page: it only asks (nothing is started); POST its button's form, as the browser does."""
    count = ExportJob.objects.count()
    page = client.get(url)
    assert page.status_code == 200 and b"Build the export" in page.content
    assert ExportJob.objects.count() == count
    html = page.content.decode()
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', html))
    return client.post("/admin/reports/exports/new/", fields)


def test_a_small_report_downloads_at_once(client, clerk, three_members, settings):
    settings.EXPORT_BACKGROUND_ROWS = 10
    response = client.get(REPORT)
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    assert ExportJob.objects.count() == 0


def test_a_large_report_is_built_in_the_background_into_the_same_file(client, clerk, three_members, settings):
    settings.EXPORT_BACKGROUND_ROWS = 10
    immediate = client.get(REPORT).content
    settings.EXPORT_BACKGROUND_ROWS = 2
    start = client.get(REPORT)
    assert start.status_code == 302 and "/admin/reports/exports/new/" in start["Location"]
    page = _confirm(client, start["Location"])
    job = ExportJob.objects.get()
    assert page.status_code == 302 and page["Location"] == f"/admin/reports/exports/{job.pk}/"
    assert job.status == ExportJobStatus.QUEUED and job.rows_total == 6 and job.requested_by == clerk
    waiting = client.get(page["Location"])
    assert b'http-equiv="refresh"' in waiting.content and b"0 of 6 rows" in waiting.content
    assert f"/admin/reports/exports/{job.pk}/download/".encode() not in waiting.content
    # Asking again while it waits (a double click, a refresh) is the same job.
    assert client.get(start["Location"])["Location"] == f"/admin/reports/exports/{job.pk}/"
    assert ExportJob.objects.count() == 1
    assert client.get(f"/admin/reports/exports/{job.pk}/download/").status_code == 404  # not built yet

    assert export_job_build(str(job.pk)).startswith("done")
    job.refresh_from_db()
    assert job.status == ExportJobStatus.DONE and job.rows_done == 6 and job.percent == 100
    ready = client.get(f"/admin/reports/exports/{job.pk}/")
    assert b'http-equiv="refresh"' not in ready.content and b"Ready: 6 rows" in ready.content
    download = client.get(f"/admin/reports/exports/{job.pk}/download/")
    assert download.status_code == 200
    assert f'filename="contributions-{PERIOD}.csv"' in download["Content-Disposition"]
    assert _body(download) == immediate


def test_the_worker_is_queued_when_the_request_commits(
    clerk, three_members, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(export_jobs, "async_task", lambda *args: queued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        job = export_jobs.export_job_start(
            kind="contributions",
            params={"kind": "monthly", "period": PERIOD, "format": "csv", "evil": "x"},
            output="csv",
            by=clerk,
        )
    assert queued == [(export_jobs.BUILD_TASK, str(job.pk))]
    assert job.rows_total == 6 and job.params == {"kind": "monthly", "period": PERIOD}  # only the kind's own


def test_progress_moves_as_rows_are_written(clerk, make_member, settings, monkeypatch):
    for i in range(120):
        monthly_contribution_record(
            member=make_member(first_name=f"M{i}"), amount="1500", period=PERIOD, reference=f"P{i}"
        )
    job = ExportJob.objects.create(
        kind="contributions", params={"kind": "monthly", "period": PERIOD}, output="csv", title="x", requested_by=clerk
    )
    seen = []
    real = export_jobs._progress_saver

    def recording(job_id, total):
        save = real(job_id, total)

        def progress(done):
            save(done)
            seen.append(ExportJob.objects.get(pk=job_id).rows_done)

        return progress

    monkeypatch.setattr(export_jobs, "_progress_saver", recording)
    export_job_build(str(job.pk))
    distinct = sorted(set(seen))
    assert distinct[0] == 0 and 50 in distinct and 100 in distinct and distinct[-1] == 123
    job.refresh_from_db()
    assert job.status == ExportJobStatus.DONE and job.rows_done == job.rows_total == 123


def test_someone_else_gets_404_and_a_lost_permission_fails_the_build(
    client, clerk, three_members, staff_user, settings
):
    settings.EXPORT_BACKGROUND_ROWS = 2
    _confirm(client, client.get(REPORT)["Location"])
    job = ExportJob.objects.get()
    export_job_build(str(job.pk))
    assert client.get(f"/admin/reports/exports/{job.pk}/download/").status_code == 200
    treasurer = staff_user(roles.TREASURER)
    assert treasurer.has_perm("contributions.view_monthlycontribution")  # the same report, but not their job
    sign_in_verified(client, treasurer)
    assert client.get(f"/admin/reports/exports/{job.pk}/").status_code == 404
    assert client.get(f"/admin/reports/exports/{job.pk}/download/").status_code == 404
    # A job whose asker lost the permission before the worker reached it is refused, with the reason.
    member_user = three_members[0].user
    queued = ExportJob.objects.create(
        kind="contributions",
        params={"kind": "monthly", "period": PERIOD},
        output="csv",
        title="x",
        requested_by=member_user,
    )
    assert export_job_build(str(queued.pk)) == "refused"
    queued.refresh_from_db()
    assert queued.status == ExportJobStatus.FAILED and "may no longer see" in queued.error


def test_bad_parameters_and_unknown_exports(client, clerk):
    assert client.get("/admin/reports/exports/new/?export=nope&format=csv").status_code == 404
    response = client.get("/admin/reports/exports/new/?export=contributions&format=csv&kind=monthly&period=2026-13")
    assert response.status_code == 400 and ExportJob.objects.count() == 0


def test_financial_statements_go_to_the_background_above_the_threshold(client, staff_user, settings):
    treasurer = staff_user(roles.TREASURER)
    sign_in_verified(client, treasurer)
    url = "/admin/reports/financial-statements/?start=2026-01-01&end=2026-06-30&output=csv"
    immediate = client.get(url).content
    settings.EXPORT_BACKGROUND_ROWS = 1
    start = client.get(url)
    assert start.status_code == 302 and "/admin/reports/exports/new/" in start["Location"]
    response = _confirm(client, start["Location"])
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/reports/exports/{job.pk}/"
    export_job_build(str(job.pk))
    assert _body(client.get(f"/admin/reports/exports/{job.pk}/download/")) == immediate


def test_run_now_of_a_large_saved_report_runs_in_the_background(
    client, three_members, staff_user, settings, mailoutbox
):
    treasurer = staff_user(roles.TREASURER)
    auditor = staff_user(roles.AUDITORS)
    saved = saved_report_create(
        name="Balances",
        report_type="member_balances",
        by=treasurer,
        output_format="csv",
        recipients=[auditor],
    )
    sign_in_verified(client, treasurer)
    page = client.get(f"/admin/reports/saved/{saved.pk}/run/").content.decode()
    assert f'action="/admin/reports/saved/{saved.pk}/run/start/"' in page
    settings.EXPORT_BACKGROUND_ROWS = 1000
    small = client.post(f"/admin/reports/saved/{saved.pk}/run/start/")  # at once, as before
    assert small.status_code == 302 and "/admin/snippets/reports/report/" in small["Location"]
    immediate = Report.objects.get(saved_report=saved)
    assert ExportJob.objects.count() == 0

    settings.EXPORT_BACKGROUND_ROWS = 1
    response = client.post(f"/admin/reports/saved/{saved.pk}/run/start/", {"email": "1"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/reports/exports/{job.pk}/"
    assert job.kind == "saved_report" and job.output == "csv" and job.rows_total == immediate.rows
    assert job.params == {"saved_report": str(saved.pk), "email": "1"}
    assert export_job_build(str(job.pk)).startswith("done")
    run = Report.objects.exclude(pk=immediate.pk).get(saved_report=saved)
    assert run.emailed_to == auditor.email and len(mailoutbox) == 1  # recorded and emailed as when run at once
    with run.file.open("rb") as handle:
        assert _body(client.get(f"/admin/reports/exports/{job.pk}/download/")) == handle.read()
    with immediate.file.open("rb") as handle:
        assert handle.read() == run.file.open("rb").read()


@pytest.mark.parametrize(
    ("url", "name"),
    [
        (f"/admin/savings/missing/?period={PERIOD}&export=xlsx", f"missing-contributions-{PERIOD}.xlsx"),
        ("/admin/savings/incomplete/?export=csv", "incomplete-share-capital.csv"),
    ],
)
def test_the_savings_lists_go_to_the_background_too(client, clerk, make_member, settings, url, name):
    for first in ("Amina", "Brian", "Chebet"):
        make_member(first_name=first)  # nothing paid: short for the month and below the share capital target
    immediate = client.get(url)
    assert immediate.status_code == 200 and name in immediate["Content-Disposition"]
    settings.EXPORT_BACKGROUND_ROWS = 2
    start = client.get(url)
    assert start.status_code == 302 and "/admin/reports/exports/new/" in start["Location"]
    job_page = _confirm(client, start["Location"])
    job = ExportJob.objects.get()
    assert job_page["Location"] == f"/admin/reports/exports/{job.pk}/" and job.rows_total == 3
    export_job_build(str(job.pk))
    download = client.get(f"/admin/reports/exports/{job.pk}/download/")
    assert f'filename="{name}"' in download["Content-Disposition"]
    if name.endswith(".csv"):
        assert _body(download) == immediate.content
    else:
        rows = openpyxl.load_workbook(io.BytesIO(_body(download))).active.iter_rows(values_only=True)
        before = openpyxl.load_workbook(io.BytesIO(immediate.content)).active.iter_rows(values_only=True)
        assert list(rows) == list(before)


def test_a_large_report_on_the_default_month_builds_that_month(client, clerk, make_member, settings):
    """Review finding: with no ?period= the page reports this month, but the job got the raw query and failed with
    "'' is not a period". The job now gets the months the page reported."""
    this_month = datetime.date.today().strftime("%Y-%m")
    for i, name in enumerate(("Amina", "Brian", "Chebet")):
        monthly_contribution_record(
            member=make_member(first_name=name), amount="1500", period=this_month, reference=f"T{i}"
        )
    settings.EXPORT_BACKGROUND_ROWS = 2
    start = client.get("/admin/savings/report/?format=csv")
    assert start.status_code == 302 and f"period={this_month}" in start["Location"]
    assert _confirm(client, start["Location"]).status_code == 302
    job = ExportJob.objects.get()
    assert job.params["period"] == this_month and job.params["kind"] == "monthly"
    assert export_job_build(str(job.pk)).startswith("done")
