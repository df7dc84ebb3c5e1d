"""Backups (R5): create (a django-q2 job), and restore (`manage.py backup_restore`).

PostgreSQL: `pg_dump --format=custom --no-owner` of the whole database; restore with `pg_restore --clean
--if-exists --no-owner` into an empty (or the same) database. SQLite: the online backup API copies a consistent
snapshot while the site runs; restore copies it back the same way. Files go to private storage (no URL) with their
SHA-256, which the restore checks before touching anything. Private storage may be an S3-compatible bucket
(docs/operations.md): `backup_local_file` then downloads the file for the restore tools, which read local files.
"""

import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.files import File
from django.db import connection
from django.utils import timezone

from portal.audit.services import ACTION, audit_log

from .models import Backup, BackupStatus


class BackupError(Exception):
    """A backup or restore could not be made; the message says why (the tool's own error included)."""


def backup_create(*, by=None) -> Backup:
    """Record the request and queue the job (run at once when django-q2 runs synchronously, as in tests)."""
    from django_q.tasks import async_task

    backup = Backup.objects.create(created_by=by, vendor=connection.vendor)
    audit_log(instance=backup, action=ACTION, by=by, summary="Backup requested")
    async_task("portal.reports.backups.backup_run", str(backup.pk))
    return backup


def backup_scheduled() -> str:
    """The nightly schedule's job: already in the worker, so it runs the backup here."""
    backup = Backup.objects.create(vendor=connection.vendor)
    return backup_run(str(backup.pk))


def backup_run(backup_id: str) -> str:
    """The job: dump, store, checksum. A failure is kept on the record with the tool's message."""
    backup = Backup.objects.get(pk=backup_id)
    if backup.status == BackupStatus.DONE:
        return "already done"
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / f"sacco-{timezone.now():%Y%m%d-%H%M%S}.{_extension()}"
        try:
            dump_database(target)
        except BackupError as exc:
            backup.status, backup.error, backup.finished_at = BackupStatus.FAILED, str(exc), timezone.now()
            backup.save(update_fields=["status", "error", "finished_at"])
            return f"failed: {exc}"
        digest = _sha256(target)
        with target.open("rb") as handle:
            backup.file.save(target.name, File(handle), save=False)
    backup.size, backup.sha256 = backup.file.size, digest
    backup.status, backup.finished_at = BackupStatus.DONE, timezone.now()
    backup.save(update_fields=["file", "size", "sha256", "status", "finished_at"])
    return f"{backup.file.name} ({backup.size} bytes)"


@contextmanager
def backup_local_file(backup: Backup) -> Iterator[Path]:
    """The backup's file on this machine's disk, for pg_restore and SQLite, which read files: its own path when
    private storage is a local folder, else a copy downloaded from the bucket into a temporary folder (removed
    afterwards)."""
    try:
        local = backup.file.path
    except NotImplementedError:  # a storage with no local files (S3)
        local = None
    if local is not None:
        yield Path(local)
        return
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / Path(backup.file.name).name
        with backup.file.open("rb") as source, target.open("wb") as copy:
            shutil.copyfileobj(source, copy, 1 << 20)
        yield target


def _extension() -> str:
    return "dump" if connection.vendor == "postgresql" else "sqlite3"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _pg_env(db: dict) -> dict:
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _pg_args(db: dict, name: str | None = None) -> list[str]:
    args = ["--host", db.get("HOST") or "localhost", "--username", db.get("USER") or "postgres"]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    return [*args, "--dbname", name or db["NAME"]]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return path


def dump_database(target: Path, *, alias: str = "default") -> None:
    """Write a consistent copy of the database to `target`."""
    from django.db import connections

    conn = connections[alias]
    db = conn.settings_dict
    if conn.vendor == "postgresql":
        result = subprocess.run(  # noqa: S603 - fixed argument list, no shell
            [_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(target), *_pg_args(db)],
            env=_pg_env(db),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()[:500]}")
    elif conn.vendor == "sqlite":
        if conn.in_atomic_block:
            # The backup API waits forever for a connection's own open write transaction to end.
            raise BackupError("A SQLite backup runs outside a transaction (the worker's job, not inside a request).")
        conn.ensure_connection()
        destination = sqlite3.connect(target)
        try:
            conn.connection.backup(destination)
        finally:
            destination.close()
    else:
        raise BackupError(f"Backups are not implemented for {conn.vendor}.")


def backup_restore(*, source: Path, sha256: str = "", vendor: str, database: dict) -> None:
    """Put a backup into `database` (a settings-style dict: NAME, HOST, USER…). Checks the checksum first."""
    if sha256 and _sha256(source) != sha256:
        raise BackupError("The backup file's SHA-256 does not match the record: it is damaged or not this backup.")
    if vendor == "postgresql":
        result = subprocess.run(  # noqa: S603 - fixed argument list, no shell
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--exit-on-error",
                *_pg_args(database),
                str(source),
            ],
            env=_pg_env(database),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed: {result.stderr.strip()[:500]}")
    elif vendor == "sqlite":
        backup = sqlite3.connect(source)
        destination = sqlite3.connect(database["NAME"])
        try:
            backup.backup(destination)
        finally:
            backup.close()
            destination.close()
    else:
        raise BackupError(f"Restoring {vendor} backups is not implemented.")
