"""Issue 17: with S3 settings, uploads (KYC, check-off files), report files and backups live in S3-compatible
storage. Tested against a local S3 server (moto in server mode, on a free 127.0.0.1 port: real HTTP, no network),
configured by the same `s3_storages` production uses: private files under `private/`, public media under `media/`,
nothing on local disk, and private files still leave only through the views that check who asks."""

import datetime
import importlib.util
import logging
import sqlite3
import uuid
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from portal.contributions.services import monthly_contribution_record, share_capital_payment_record
from portal.finance.banking.services import bank_account_primary
from portal.finance.ledger.selectors import account_balance
from portal.members import roles
from portal.members.models import KycDocument
from portal.reports.backups import backup_create
from portal.reports.dashboard import checkoff_files_waiting
from portal.reports.export_jobs import export_job_build, export_job_start
from portal.reports.models import BackupStatus, ExportJob, ExportJobStatus
from portal.reports.saved_reports import saved_report_create, saved_report_run
from portal.society.storage import private_storage, s3_storages
from tests.conftest import sign_in_verified

ROOT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}  # moto takes any
TRIAL = (
    "SELECT a.code, ROUND(SUM(l.debit) - SUM(l.credit), 2) FROM finance_journalline l "
    "JOIN finance_account a ON a.id = l.account_id GROUP BY a.code ORDER BY a.code"
)


@pytest.fixture(scope="session")
def s3_endpoint():
    """One moto S3 server for the whole run, in a thread of this process, on a port the system picks."""
    from moto.server import ThreadedMotoServer

    requests_log = logging.getLogger("werkzeug")  # one line a request otherwise
    level = requests_log.level
    requests_log.setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
    requests_log.setLevel(level)


def _environment(endpoint: str, bucket: str, **extra) -> dict:
    return {
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_S3_ADDRESSING_STYLE": "path",
        **extra,
    }


@pytest.fixture
def s3(settings, tmp_path, s3_endpoint):
    """A fresh bucket, and STORAGES as production builds it from the AWS_* variables (the keys added here, where
    production lets boto3 find them in the environment). The local folders are empty places to prove nothing lands
    on disk."""
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **KEYS)
    bucket = f"sacco-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    entries = s3_storages(_environment(s3_endpoint, bucket))
    for entry in entries.values():
        entry["OPTIONS"].update(access_key=KEYS["aws_access_key_id"], secret_key=KEYS["aws_secret_access_key"])
    settings.STORAGES = {**settings.STORAGES, **entries}
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"

    def keys(prefix: str = "") -> list[str]:
        listing = client.list_objects_v2(Bucket=bucket, Prefix=prefix)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def body(key: str) -> bytes:
        return client.get_object(Bucket=bucket, Key=key)["Body"].read()

    yield SimpleNamespace(client=client, bucket=bucket, keys=keys, body=body, endpoint=s3_endpoint)
    assert not any(p.is_file() for p in tmp_path.rglob("*")), "a file landed on local disk"


def _download(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.django_db
def test_a_kyc_upload_lands_in_the_private_prefix_and_only_its_member_downloads_it(
    client, s3, member, other_member, staff_user
):
    client.force_login(member.user)
    response = client.post(
        reverse("member_area:documents"),
        {"document_type": "national_id_front", "file": SimpleUploadedFile("id.pdf", PDF)},
    )
    assert response.status_code == 302
    document = KycDocument.objects.get(member=member)
    assert s3.keys() == [f"private/{document.file.name}"] and document.file.name.startswith("kyc/")
    assert s3.body(f"private/{document.file.name}") == PDF

    url = reverse("member_area:document_file", args=[document.pk])
    mine = client.get(url)
    assert mine.status_code == 200 and mine["Content-Disposition"].startswith("attachment;")
    assert _download(mine) == PDF  # streamed through the view that checked who asks
    client.force_login(other_member.user)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the sign-in page
    sign_in_verified(client, staff_user(roles.CLERKS))  # the KYC reviewer may
    assert _download(client.get(url)) == PDF

    with pytest.raises(NotImplementedError, match="no public URL"):
        document.file.url  # noqa: B018 - no link, signed or not, exists to be copied past the check
    with pytest.raises(NotImplementedError, match="no public URL"):
        private_storage().backend().url(document.file.name)


@pytest.mark.django_db
def test_a_saved_report_and_its_export_live_in_the_bucket_until_prune_exports_deletes_the_export(
    client, s3, member, staff_user
):
    share_capital_payment_record(member=member, amount="5000", reference="sc-1")
    monthly_contribution_record(member=member, amount="2000", period="2026-01", reference="dep-1")
    treasurer = staff_user(roles.TREASURER)
    saved = saved_report_create(name="Balances", report_type="member_balances", by=treasurer, output_format="csv")
    run = saved_report_run(saved_report=saved, by=treasurer)
    key = f"private/{run.file.name}"
    assert run.file.name.startswith("reports/") and s3.keys("private/reports/") == [key]
    stored = s3.body(key)
    assert b"Wanjiru" in stored  # the member's row, written to S3
    with run.file.open("rb") as handle:
        assert handle.read() == stored  # and read back from it

    sign_in_verified(client, treasurer)
    assert _download(client.get(f"/admin/reports/runs/{run.pk}/download/")) == stored
    sign_in_verified(client, staff_user(roles.LOANS_OFFICERS))  # not allowed this report type
    assert client.get(f"/admin/reports/runs/{run.pk}/download/").status_code == 404

    # The same report built in the background: the export job keeps its own copy in the bucket.
    job = export_job_start(kind="saved_report", params={"saved_report": str(saved.pk)}, output="csv", by=treasurer)
    assert export_job_build(str(job.pk)).startswith("done")
    job.refresh_from_db()
    export_key = f"private/{job.file.name}"
    assert job.file.name.startswith("exports/") and s3.keys("private/exports/") == [export_key]
    assert s3.body(export_key) == stored

    ExportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - datetime.timedelta(days=8))
    call_command("prune_exports")
    job.refresh_from_db()
    assert job.status == ExportJobStatus.EXPIRED and not job.file
    assert s3.keys("private/exports/") == []  # deleted in the bucket
    reports = s3.keys("private/reports/")  # the runs (the background build recorded its own) are not exports: kept
    assert len(reports) == 2 and key in reports


@pytest.mark.django_db
def test_a_check_off_preview_waits_in_the_bucket_for_the_confirm(client, s3, make_member, staff_user):
    """Preview and confirm may reach different app servers: the previewed file waits in the shared bucket."""
    member = make_member(payroll_number="P001")
    content = b"payroll_number,share_capital,deposits\nP001,500,1000\n"
    sign_in_verified(client, staff_user(roles.CLERKS))
    preview = client.post(
        "/admin/savings/checkoff/",
        {
            "file": SimpleUploadedFile("oct.csv", content),
            "period": "2026-01",
            "bank_account": bank_account_primary().pk,
            "received_on": timezone.localdate().isoformat(),
            "below_minimum_reason": "",
        },
    )
    assert preview.status_code == 200 and b"Confirm and post 1 rows" in preview.content
    form = preview.context["confirm_form"]
    sha = form.initial["sha256"]
    assert s3.keys() == [f"private/checkoff-uploads/{sha}"] and s3.body(f"private/checkoff-uploads/{sha}") == content
    assert checkoff_files_waiting() == 1  # the admin home counts it from the bucket

    confirm = client.post(
        "/admin/savings/checkoff/", {**{n: form.initial.get(n, "") for n in form.fields}, "confirm": 1}
    )
    assert confirm.status_code == 302
    assert account_balance(code="2000", member=member) == Decimal("1000.00")  # posted from the file in the bucket
    assert checkoff_files_waiting() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_sqlite_backup_is_written_to_the_bucket_and_restored_from_it(s3, make_member, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite path (PostgreSQL: the next test)")
    trial = _books(make_member)
    backup = _backup(s3)
    target = tmp_path.parent / f"{tmp_path.name}-restored.sqlite3"  # outside tmp_path: the fixture checks it
    try:
        call_command("backup_restore", str(backup.pk), "--database-url", f"sqlite:///{target}", "--yes")
        assert _trial(sqlite3.connect(target).cursor()) == trial

        # The restore checks the copy it downloaded: a damaged object in the bucket is refused.
        s3.client.put_object(Bucket=s3.bucket, Key=f"private/{backup.file.name}", Body=s3.body(_key(backup)) + b"x")
        with pytest.raises(CommandError, match="SHA-256"):
            call_command("backup_restore", str(backup.pk), "--database-url", f"sqlite:///{target}", "--yes")
    finally:
        target.unlink(missing_ok=True)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_postgresql_backup_is_written_to_the_bucket_and_restored_from_it(s3, make_member):
    import psycopg

    trial = _books(make_member)
    backup = _backup(s3)
    assert s3.body(_key(backup)).startswith(b"PGDMP")
    db = connection.settings_dict
    server = f"{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}"
    name = f"restore_s3_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"postgresql://{server}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        call_command("backup_restore", str(backup.pk), "--database-url", f"postgres://{server}/{name}", "--yes")
        with psycopg.connect(f"postgresql://{server}/{name}") as restored:
            assert _trial(restored.cursor()) == trial
    finally:
        with psycopg.connect(f"postgresql://{server}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _books(make_member) -> list:
    for n in range(2):
        member = make_member(f"saver{n}@example.com")
        share_capital_payment_record(member=member, amount=f"{1000 * (n + 1)}.50", reference=f"sc{n}")
        monthly_contribution_record(member=member, amount="2500.25", period="2026-01", reference=f"dep{n}")
    with connection.cursor() as cursor:
        trial = _trial(cursor)
    assert trial
    return trial


def _trial(cursor) -> list:
    cursor.execute(TRIAL)
    return [(code, Decimal(str(value)).quantize(Decimal("0.01"))) for code, value in cursor.fetchall()]


def _key(backup) -> str:
    return f"private/{backup.file.name}"


def _backup(s3):
    backup = backup_create()
    backup.refresh_from_db()
    assert backup.status == BackupStatus.DONE, backup.error
    assert backup.file.name.startswith("backups/") and s3.keys("private/backups/") == [_key(backup)]
    assert backup.size == len(s3.body(_key(backup))) > 0
    return backup


@pytest.mark.django_db
def test_public_media_go_to_the_media_prefix_with_plain_links(s3):
    from wagtail.documents.models import Document

    document = Document(title="By-laws")
    document.file.save("by-laws.pdf", ContentFile(PDF), save=False)
    document.save()
    assert s3.keys() == [f"media/{document.file.name}"] and document.file.name.startswith("documents/")
    url = default_storage.url(document.file.name)
    assert url == f"{s3.endpoint}/{s3.bucket}/media/{document.file.name}" and "Signature" not in url


@pytest.mark.django_db
def test_private_files_can_have_their_own_bucket(settings, s3):
    private_bucket = f"{s3.bucket}-private"
    s3.client.create_bucket(Bucket=private_bucket)
    entries = s3_storages(_environment(s3.endpoint, s3.bucket, AWS_PRIVATE_STORAGE_BUCKET_NAME=private_bucket))
    entries["private"]["OPTIONS"].update(access_key="testing", secret_key="testing")
    settings.STORAGES = {**settings.STORAGES, "private": entries["private"]}
    name = private_storage().save("receipts/a.pdf", ContentFile(PDF))
    listing = s3.client.list_objects_v2(Bucket=private_bucket)["Contents"]
    assert [item["Key"] for item in listing] == [f"private/{name}"] and s3.keys() == []
    # Names are never reused: a second file of the same name is kept beside the first, as on disk.
    assert private_storage().save("receipts/a.pdf", ContentFile(b"%PDF-2")) != name


def test_without_a_bucket_files_stay_on_disk_and_flags_are_checked():
    assert s3_storages({}) is None and s3_storages({"AWS_S3_ENDPOINT_URL": "http://x"}) is None
    entries = s3_storages({"AWS_STORAGE_BUCKET_NAME": "b", "AWS_S3_MEDIA_SIGNED_URLS": "yes"})
    assert entries["default"]["OPTIONS"]["querystring_auth"] is True
    assert entries["private"]["BACKEND"] == "portal.society.s3_storage.PrivateS3Storage"
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="true or false"):
        s3_storages({"AWS_STORAGE_BUCKET_NAME": "b", "AWS_S3_MEDIA_SIGNED_URLS": "maybe"})


@pytest.mark.django_db
def test_production_settings_put_files_in_the_bucket(settings, monkeypatch, s3_endpoint):
    """The production settings module itself, read with a server's variables and AWS_* ones, stores a private file
    in the bucket (read as a fresh module: the running settings stay the test's until STORAGES is taken over)."""
    bucket = f"sacco-prod-{uuid.uuid4().hex[:8]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **KEYS)
    client.create_bucket(Bucket=bucket)
    environment = {
        "SECRET_KEY": "k" * 20 + "-production-test-value-that-is-long-enough-xyz",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "portal.sacco.example",
        "DATABASE_URL": "sqlite:////tmp/sacco-prod-s3-check.sqlite3",
        "EMAIL_HOST": "smtp.sacco.example",
        "DEFAULT_FROM_EMAIL": "SACCO <office@sacco.example>",
        "AWS_ACCESS_KEY_ID": "testing",  # boto3 reads the keys from the environment, as on a server
        "AWS_SECRET_ACCESS_KEY": "testing",
        **_environment(s3_endpoint, bucket),
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    path = ROOT / "portal" / "settings" / "production.py"
    spec = importlib.util.spec_from_file_location("portal.settings.production_s3_check", path)
    production = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(production)
    assert production.STORAGES["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert production.STORAGES["private"]["BACKEND"] == "portal.society.s3_storage.PrivateS3Storage"
    assert production.STORAGES["staticfiles"]["BACKEND"].startswith("whitenoise.")  # still served by the app

    settings.STORAGES = production.STORAGES
    name = private_storage().save("kyc/x.pdf", ContentFile(PDF))
    assert [item["Key"] for item in client.list_objects_v2(Bucket=bucket)["Contents"]] == [f"private/{name}"]
