"""Issue 14 (review) on background exports: a GET only asks (a confirmation page whose button POSTs, CSRF-checked),
so a link, a refresh or a crawler builds and emails nothing; rows are counted by COUNT queries and the report is
built once, by the worker; and one person has at most one job in flight per export (kind, parameters, format), even
when two requests arrive in the same instant (a partial unique constraint; real threads on PostgreSQL)."""

import dataclasses
import datetime
import re

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from portal.contributions.services import monthly_contribution_record
from portal.members import roles
from portal.reports import catalogue, export_jobs
from portal.reports.export_jobs import export_job_build, export_job_start
from portal.reports.models import ExportJob, ExportJobStatus
from portal.reports.saved_reports import saved_report_create
from tests.conftest import sign_in_verified
from tests.factories import run_together

LAST_MONTH = (datetime.date.today().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
PERIOD = LAST_MONTH.strftime("%Y-%m")
START = "/admin/reports/exports/new/"
CONTRIBUTIONS = {"export": "contributions", "format": "csv", "kind": "monthly", "period": PERIOD}


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


@pytest.fixture
def saved_balances(three_members, staff_user):
    treasurer, auditor = staff_user(roles.TREASURER), staff_user(roles.AUDITORS)
    saved = saved_report_create(
        name="Balances", report_type="member_balances", by=treasurer, output_format="csv", recipients=[auditor]
    )
    return saved, treasurer


@pytest.fixture
def builds(monkeypatch):
    """Counts every build of the contribution report and of the member balances report, wherever it happens."""
    counted = {"contributions": 0, "member_balances": 0}
    real_report = export_jobs.contribution_report

    def contribution_report(**kwargs):
        counted["contributions"] += 1
        return real_report(**kwargs)

    monkeypatch.setattr(export_jobs, "contribution_report", contribution_report)
    balances = catalogue.REPORT_TYPES["member_balances"]

    def member_balances(*args):
        counted["member_balances"] += 1
        return balances.build(*args)

    monkeypatch.setitem(catalogue.REPORT_TYPES, "member_balances", dataclasses.replace(balances, build=member_balances))
    return counted


def _hidden_fields(html: str) -> dict:
    return dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', html))


@pytest.mark.django_db
def test_a_get_only_asks_and_the_post_starts_one_job(client, clerk, three_members, builds, settings):
    settings.EXPORT_BACKGROUND_ROWS = 2
    for _ in range(3):  # a refresh, a prefetch, a crawler: nothing is started or built
        page = client.get(START, CONTRIBUTIONS)
        assert page.status_code == 200 and ExportJob.objects.count() == 0
    html = page.content.decode()
    assert f"Contributions, {LAST_MONTH:%B %Y}" in html and "6 rows" in html  # counted, not built
    assert re.search(r'<form method="post" action="/admin/reports/exports/new/">', html)
    assert 'name="csrfmiddlewaretoken"' in html
    assert builds["contributions"] == 0

    first = client.post(START, _hidden_fields(html))
    job = ExportJob.objects.get()
    assert first.status_code == 302 and first["Location"] == f"/admin/reports/exports/{job.pk}/"
    assert job.status == ExportJobStatus.QUEUED and job.rows_total == 6 and builds["contributions"] == 0
    # A second press, or the start page asked again while it waits: the first job's page, still one job.
    assert client.post(START, _hidden_fields(html))["Location"] == first["Location"]
    assert client.get(START, CONTRIBUTIONS)["Location"] == first["Location"]
    assert ExportJob.objects.count() == 1

    assert export_job_build(str(job.pk)).startswith("done")
    assert builds["contributions"] == 1  # built once, by the worker
    # Once built, asking again is a new export (the numbers may have changed): a page that asks again.
    assert client.get(START, CONTRIBUTIONS).status_code == 200


@pytest.mark.django_db
def test_the_post_needs_the_csrf_token(clerk, three_members):
    forged = Client(enforce_csrf_checks=True)
    sign_in_verified(forged, clerk)
    assert forged.post(START, CONTRIBUTIONS).status_code == 403
    assert ExportJob.objects.count() == 0


@pytest.mark.django_db
def test_a_saved_report_asked_with_email_is_emailed_once_when_built(
    client, saved_balances, builds, settings, mailoutbox
):
    saved, treasurer = saved_balances
    sign_in_verified(client, treasurer)
    settings.EXPORT_BACKGROUND_ROWS = 1
    asked = {"export": "saved_report", "format": "csv", "saved_report": str(saved.pk), "email": "1"}
    for _ in range(3):
        page = client.get(START, asked)
        assert page.status_code == 200
    assert ExportJob.objects.count() == 0 and mailoutbox == [] and builds["member_balances"] == 0
    assert "also emailed to" in page.content.decode()

    client.post(START, _hidden_fields(page.content.decode()))
    client.post(START, _hidden_fields(page.content.decode()))
    job = ExportJob.objects.get()
    assert job.rows_total == 3 and builds["member_balances"] == 0  # COUNT, not a build
    export_job_build(str(job.pk))
    assert builds["member_balances"] == 1 and len(mailoutbox) == 1


@pytest.mark.django_db
def test_run_now_counts_without_building(client, saved_balances, builds, settings):
    saved, treasurer = saved_balances
    sign_in_verified(client, treasurer)
    settings.EXPORT_BACKGROUND_ROWS = 1
    response = client.post(f"/admin/reports/saved/{saved.pk}/run/start/")
    job = ExportJob.objects.get()
    assert response["Location"] == f"/admin/reports/exports/{job.pk}/"
    assert job.rows_total == 3 and builds["member_balances"] == 0
    export_job_build(str(job.pk))
    assert builds["member_balances"] == 1


@pytest.mark.django_db
def test_the_counts_are_the_rows_the_worker_writes(three_members, staff_user):
    """The COUNT queries use the builders' filters: a drift between them would show wrong totals and wrong choices."""
    today = timezone.localdate()
    start, end = datetime.date(today.year - 1, 1, 1), today
    for key, count in export_jobs.REPORT_TYPE_ROWS.items():
        kind = catalogue.REPORT_TYPES[key]
        built = catalogue.report_build(report_type=kind, start=start, end=end, today=today)
        assert count(start, end, today) == built.row_count, key
    clerk = staff_user(roles.CLERKS)
    for kind, params in [
        ("contributions", {"kind": "monthly", "period": PERIOD}),
        ("missing_contributions", {"period": PERIOD}),
        ("incomplete_share_capital", {}),
    ]:
        _, rows = export_jobs.EXPORT_KINDS[kind].describe(params, clerk)
        assert rows == export_jobs.EXPORT_KINDS[kind].build(params, clerk).rows, kind


@pytest.mark.django_db
def test_the_database_refuses_a_second_job_in_flight(clerk, three_members, monkeypatch):
    """On SQLite too: the constraint is a partial unique index."""
    monkeypatch.setattr(export_jobs, "async_task", lambda *args: None)
    params = {k: v for k, v in CONTRIBUTIONS.items() if k not in ("export", "format")}
    job = export_job_start(kind="contributions", params=params, output="csv", by=clerk)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExportJob.objects.create(
            kind=job.kind, params=job.params, output="csv", title="x", fingerprint=job.fingerprint, requested_by=clerk
        )
    # Another format is another export; once the first is done, the same export may be asked again.
    assert export_job_start(kind="contributions", params=params, output="xlsx", by=clerk).pk != job.pk
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJobStatus.DONE)
    assert export_job_start(kind="contributions", params=params, output="csv", by=clerk).pk != job.pk


@pytest.mark.django_db
def test_a_job_lost_for_an_hour_no_longer_holds_the_place(clerk, three_members, monkeypatch):
    monkeypatch.setattr(export_jobs, "async_task", lambda *args: None)
    params = {"kind": "monthly", "period": PERIOD}
    lost = export_job_start(kind="contributions", params=params, output="csv", by=clerk)
    ExportJob.objects.filter(pk=lost.pk).update(created_at=timezone.now() - datetime.timedelta(hours=2))
    fresh = export_job_start(kind="contributions", params=params, output="csv", by=clerk)
    lost.refresh_from_db()
    assert fresh.pk != lost.pk and lost.status == ExportJobStatus.FAILED and "within an hour" in lost.error


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_requests_make_one_job(staff_user, make_member, monkeypatch):
    monkeypatch.setattr(export_jobs, "async_task", lambda *args: None)
    for i, name in enumerate(("Amina", "Brian", "Chebet")):
        monthly_contribution_record(
            member=make_member(first_name=name), amount="1500", period=PERIOD, reference=f"R{i}"
        )
    clerk = staff_user(roles.CLERKS)
    params = {"kind": "monthly", "period": PERIOD}

    def start():
        return export_job_start(kind="contributions", params=params, output="csv", by=clerk).pk

    results, errors = run_together([start] * 8)
    assert errors == []
    assert len(set(results)) == 1 and ExportJob.objects.count() == 1

    # Through the page: two browsers (two tabs) press the button at once and land on the same job's page.
    clients = [Client(), Client()]
    for browser in clients:
        sign_in_verified(browser, clerk)
    ExportJob.objects.update(status=ExportJobStatus.DONE)

    def press(browser):
        return lambda: browser.post(START, CONTRIBUTIONS)["Location"]

    locations, errors = run_together([press(b) for b in clients])
    assert errors == []
    job = ExportJob.objects.get(status=ExportJobStatus.QUEUED)
    assert locations == [f"/admin/reports/exports/{job.pk}/"] * 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "builder"),
    [
        (f"/admin/savings/missing/?period={PERIOD}&export=csv", "missing_export"),
        ("/admin/savings/incomplete/?export=xlsx", "incomplete_export"),
    ],
)
def test_the_savings_lists_count_before_they_build(client, clerk, make_member, settings, monkeypatch, url, builder):
    """Above the threshold the list page sends the download to the export's page without building it first."""
    from portal.contributions import admin_views as savings_pages

    for first in ("Amina", "Brian", "Chebet"):
        make_member(first_name=first)  # nothing paid: short for the month and below the share capital target
    built = []
    real = getattr(savings_pages, builder)
    monkeypatch.setattr(savings_pages, builder, lambda **kwargs: built.append(1) or real(**kwargs))
    settings.EXPORT_BACKGROUND_ROWS = 2
    start = client.get(url)
    assert start.status_code == 302 and "/admin/reports/exports/new/" in start["Location"] and built == []
    settings.EXPORT_BACKGROUND_ROWS = 10
    assert client.get(url).status_code == 200 and built == [1]  # a small list comes at once, built once
