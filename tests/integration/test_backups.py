"""R5 backups: made by the q2 job (synchronous in tests), listed and downloaded by administrators only, and a
restore into an empty database gives the same trial balance and member balances (SQLite and PostgreSQL)."""

import sqlite3
import uuid
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from rest_framework.test import APIClient

from portal.contributions.services import monthly_contribution_record, share_capital_payment_record
from portal.members import roles
from portal.reports.backups import backup_create
from portal.reports.models import Backup, BackupStatus
from tests.conftest import sign_in_verified

TRIAL = (
    "SELECT a.code, ROUND(SUM(l.debit) - SUM(l.credit), 2) FROM finance_journalline l "
    "JOIN finance_account a ON a.id = l.account_id GROUP BY a.code ORDER BY a.code"
)
MEMBERS = (
    "SELECT CAST(l.member_id AS TEXT), ROUND(SUM(l.credit) - SUM(l.debit), 2) FROM finance_journalline l "
    "JOIN finance_account a ON a.id = l.account_id WHERE a.code IN ('2000', '3000') "
    "GROUP BY l.member_id, a.code ORDER BY 1, 2"
)


def _rows(cursor, sql):
    cursor.execute(sql)
    return [
        (str(key).replace("-", ""), Decimal(str(value)).quantize(Decimal("0.01"))) for key, value in cursor.fetchall()
    ]


@pytest.fixture
def books(settings, tmp_path, make_member):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    for n in range(3):
        member = make_member(f"saver{n}@example.com")
        share_capital_payment_record(member=member, amount=f"{1000 * (n + 1)}.50", reference=f"sc{n}")
        monthly_contribution_record(member=member, amount="2500.25", period="2026-01", reference=f"dep{n}")
    with connection.cursor() as cursor:
        return _rows(cursor, TRIAL), _rows(cursor, MEMBERS)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sqlite_backup_restores_into_an_empty_database(books, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite path")
    trial, members = books
    backup = backup_create()
    backup.refresh_from_db()
    assert backup.status == BackupStatus.DONE and backup.size > 0 and len(backup.sha256) == 64
    target = tmp_path / "restored.sqlite3"
    call_command("backup_restore", str(backup.pk), "--database-url", f"sqlite:///{target}", "--yes")
    restored = sqlite3.connect(target).cursor()
    assert _rows(restored, TRIAL) == trial and _rows(restored, MEMBERS) == members
    assert trial and members

    with pytest.raises(CommandError, match="--yes"):
        call_command("backup_restore", str(backup.pk), "--database-url", f"sqlite:///{target}")
    with open(backup.file.path, "ab") as damaged:
        damaged.write(b"x")
    with pytest.raises(CommandError, match="SHA-256"):
        call_command("backup_restore", str(backup.pk), "--database-url", f"sqlite:///{tmp_path / 'b.sqlite3'}", "--yes")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_postgresql_backup_restores_into_an_empty_database(books):
    import psycopg

    trial, members = books
    backup = backup_create()
    backup.refresh_from_db()
    assert backup.status == BackupStatus.DONE, backup.error
    settings_dict = connection.settings_dict
    name = f"restore_{uuid.uuid4().hex[:8]}"
    admin_url = f"postgresql://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT'] or 5432}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        target = f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT'] or 5432}/{name}"
        call_command("backup_restore", str(backup.pk), "--database-url", target, "--yes")
        with psycopg.connect(target.replace("postgres://", "postgresql://")) as restored:
            cursor = restored.cursor()
            assert _rows(cursor, TRIAL) == trial and _rows(cursor, MEMBERS) == members
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_only_administrators_list_make_and_download_backups(client, settings, tmp_path, staff_user, member):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    api = APIClient()
    treasurer = staff_user(roles.TREASURER)
    for user in (member.user, treasurer, staff_user(roles.AUDITORS)):
        api.force_authenticate(user)
        assert api.get("/api/reports/backups/").status_code == 403
        assert api.post("/api/reports/backups/create-backup/").status_code == 403
    admin = staff_user(roles.ADMINISTRATORS)
    api.force_authenticate(admin)
    made = api.post("/api/reports/backups/create-backup/")
    assert made.status_code == 202 and made.json()["status"] == "done"
    assert [b["id"] for b in api.get("/api/reports/backups/").json()["results"]] == [made.json()["id"]]

    backup = Backup.objects.get()
    sign_in_verified(client, treasurer)
    assert client.get(f"/admin/reports/backups/{backup.pk}/download/").status_code == 302  # refused
    sign_in_verified(client, admin, fresh=False)
    stale = client.get(f"/admin/reports/backups/{backup.pk}/download/")
    assert stale.status_code == 302 and "verify" in stale["Location"]
    sign_in_verified(client, admin)
    assert "Back up now" in client.get("/admin/reports/backups/").content.decode()
    download = client.get(f"/admin/reports/backups/{backup.pk}/download/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith((b"SQLite", b"PGDMP"))


def test_restore_refuses_the_wrong_kind_of_file(tmp_path, db):
    path = tmp_path / "x.dump"
    path.write_bytes(b"PGDMP")
    target = "sqlite:///" + str(tmp_path / "t.sqlite3")
    with pytest.raises(CommandError, match="postgresql backup"):
        call_command("backup_restore", str(path), "--database-url", target, "--yes")
    assert not (tmp_path / "t.sqlite3").exists()  # nothing was written
