"""`manage.py backup_restore <backup id or file> [--database-url URL] --yes`: put a backup back.

Without --database-url it restores over this site's own database (stop the web and worker processes first).
With it, into another database — e.g. an empty one to inspect an old state:
    createdb sacco_restored
    python manage.py backup_restore 7c9e… --database-url postgres://postgres@127.0.0.1/sacco_restored --yes
"""

from contextlib import nullcontext
from pathlib import Path

import dj_database_url
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from portal.reports.backups import BackupError, backup_local_file, backup_restore
from portal.reports.models import Backup, BackupStatus


class Command(BaseCommand):
    help = "Restore a backup (by its id, or a backup file) into this database or the one --database-url names."

    def add_arguments(self, parser):
        parser.add_argument("backup", help="A backup's id (see the admin's Backups list) or a path to a backup file.")
        parser.add_argument("--database-url", help="Restore into this database instead of the site's own.")
        parser.add_argument("--yes", action="store_true", help="Confirm: the target database's content is replaced.")

    def handle(self, *args, backup, database_url=None, yes=False, **options):
        record = Backup.objects.filter(pk=backup).first() if _looks_like_uuid(backup) else None
        if record is not None:
            if record.status != BackupStatus.DONE:
                raise CommandError(f"Backup {backup} is {record.get_status_display().lower()}, not a usable file.")
            source, sha256, vendor = None, record.sha256, record.vendor
        else:
            source, sha256 = Path(backup), ""
            if not source.is_file():
                raise CommandError(f"{backup} is neither a backup id nor a file.")
            vendor = "postgresql" if source.suffix == ".dump" else "sqlite"
        target = dj_database_url.parse(database_url) if database_url else connection.settings_dict
        target_vendor = "postgresql" if "postgresql" in target["ENGINE"] else "sqlite"
        if target_vendor != vendor:
            raise CommandError(f"This is a {vendor} backup; the target database is {target_vendor}.")
        if not yes:
            raise CommandError(f"This replaces everything in {target['NAME']}. Run again with --yes to go ahead.")
        if not database_url:
            connection.close()  # the restore writes the file/database this process would otherwise hold open
        # A recorded backup may be in an S3 bucket: it is downloaded to a temporary file for the restore.
        with backup_local_file(record) if record is not None else nullcontext(source) as local:
            try:
                backup_restore(source=local, sha256=sha256, vendor=vendor, database=target)
            except BackupError as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Restored {local.name} into {target['NAME']}."))


def _looks_like_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
