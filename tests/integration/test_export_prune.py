"""Background export files are not kept for ever (issue 14): after EXPORT_KEEP_DAYS the daily prune deletes an
export's file and marks its job expired (the row stays); the job page says so and offers to build it again."""

import datetime
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule

from portal.members import roles
from portal.reports.export_jobs import export_job_build, export_jobs_prune
from portal.reports.models import ExportJob, ExportJobStatus
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db
NOW = timezone.now()
PARAMS = {"kind": "monthly", "period": "2026-01"}


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


@pytest.fixture
def clerk(client, staff_user):
    user = staff_user(roles.CLERKS)
    sign_in_verified(client, user)
    return user


def _job(by, *, days_ago: float, status=ExportJobStatus.DONE, with_file=True, **extra) -> ExportJob:
    when = NOW - datetime.timedelta(days=days_ago)
    job = ExportJob.objects.create(
        kind="contributions",
        params=PARAMS,
        output="csv",
        title="Contributions",
        status=status,
        requested_by=by,
        created_at=when - datetime.timedelta(minutes=5),
        finished_at=when if status in (ExportJobStatus.DONE, ExportJobStatus.FAILED) else None,
        rows_total=6,
        rows_done=6 if status == ExportJobStatus.DONE else 2,
        **extra,
    )
    if with_file:
        job.file.save(f"contributions-{job.pk.hex[:8]}.csv", ContentFile(b"a,b\n1,2\n"), save=True)
    return job


def _path(job) -> Path:
    return Path(job.file.path)


def test_an_old_finished_export_loses_its_file_and_its_page_says_expired(client, clerk, settings):
    assert settings.EXPORT_KEEP_DAYS == 7
    old = _job(clerk, days_ago=8)
    path = _path(old)
    assert path.exists()

    assert export_jobs_prune(now=NOW) == 1
    old.refresh_from_db()
    assert not path.exists() and not old.file and old.status == ExportJobStatus.EXPIRED
    assert ExportJob.objects.filter(pk=old.pk).exists()  # the record stays

    page = client.get(f"/admin/reports/exports/{old.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "The file has expired" in body and "7 days" in body
    assert f"/admin/reports/exports/{old.pk}/download/" not in body
    assert "/admin/reports/exports/new/?export=contributions&amp;format=csv&amp;kind=monthly&amp;period=2026-01" in body
    assert client.get(f"/admin/reports/exports/{old.pk}/download/").status_code == 404


def test_building_it_again_starts_a_new_job(client, clerk, monkeypatch):
    monkeypatch.setattr("portal.reports.export_jobs.async_task", lambda *args: None)
    old = _job(clerk, days_ago=30)
    export_jobs_prune(now=NOW)
    asks = client.get(f"/admin/reports/exports/new/?{old.rebuild_query}")  # a page with a button; nothing started
    assert asks.status_code == 200 and ExportJob.objects.count() == 1
    again = client.post("/admin/reports/exports/new/", dict(parse_qsl(old.rebuild_query)))
    new = ExportJob.objects.exclude(pk=old.pk).get()
    assert again.status_code == 302 and again["Location"] == f"/admin/reports/exports/{new.pk}/"
    assert new.status == ExportJobStatus.QUEUED and new.params == PARAMS and new.output == "csv"


def test_a_recent_export_is_kept(clerk):
    recent = _job(clerk, days_ago=6.9)
    assert export_jobs_prune(now=NOW) == 0
    recent.refresh_from_db()
    assert recent.status == ExportJobStatus.DONE and _path(recent).exists()


def test_a_job_still_waiting_or_building_is_never_touched(clerk):
    building = _job(clerk, days_ago=30, status=ExportJobStatus.RUNNING)
    queued = _job(clerk, days_ago=30, status=ExportJobStatus.QUEUED, with_file=False)
    assert export_jobs_prune(now=NOW, keep_days=0) == 0
    for job in (building, queued):
        before = job.status
        job.refresh_from_db()
        assert job.status == before
    assert _path(building).exists()


def test_an_old_failed_export_expires_and_keeps_its_reason(client, clerk):
    failed = _job(clerk, days_ago=10, status=ExportJobStatus.FAILED, with_file=False, error="ValueError: boom")
    assert export_jobs_prune(now=NOW) == 1
    failed.refresh_from_db()
    assert failed.status == ExportJobStatus.EXPIRED and failed.error == "ValueError: boom"
    body = client.get(f"/admin/reports/exports/{failed.pk}/").content.decode()
    assert "The export failed: ValueError: boom" in body and "Build it again" in body


def test_running_twice_changes_nothing(clerk):
    old, recent = _job(clerk, days_ago=8), _job(clerk, days_ago=1)
    assert export_jobs_prune(now=NOW) == 1
    snapshot = list(ExportJob.objects.order_by("pk").values())
    assert export_jobs_prune(now=NOW) == 0
    assert list(ExportJob.objects.order_by("pk").values()) == snapshot
    assert _path(recent).exists()
    # A late retry of the build task does not bring an expired job back to life.
    assert export_job_build(str(old.pk)) == ExportJobStatus.EXPIRED


def test_keep_days_follows_the_setting(clerk, settings):
    settings.EXPORT_KEEP_DAYS = 30
    job = _job(clerk, days_ago=8)
    assert export_jobs_prune(now=NOW) == 0
    settings.EXPORT_KEEP_DAYS = 7
    assert export_jobs_prune(now=NOW) == 1
    job.refresh_from_db()
    assert job.status == ExportJobStatus.EXPIRED


def test_the_command_prunes_and_says_how_many(clerk, capsys):
    _job(clerk, days_ago=3)
    call_command("prune_exports")
    assert "Expired 0 exports older than 7 days." in capsys.readouterr().out
    call_command("prune_exports", "--keep-days", "2")
    assert "Expired 1 export older than 2 days (its file deleted)." in capsys.readouterr().out
    call_command("prune_exports", "--keep-days", "1")
    assert "Expired 0 exports older than 1 day." in capsys.readouterr().out


def test_the_daily_schedule_exists_after_migrations():
    schedule = Schedule.objects.get(func="portal.reports.export_jobs.export_jobs_prune")
    assert schedule.schedule_type == Schedule.DAILY and schedule.repeats == -1
