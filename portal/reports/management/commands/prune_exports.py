"""`manage.py prune_exports [--keep-days N]`: delete the files of background exports older than EXPORT_KEEP_DAYS
(or N days) now, as the daily django-q2 schedule does; their jobs are marked expired and kept."""

from django.core.management.base import BaseCommand, CommandError

from portal.reports.export_jobs import export_jobs_prune, keep_days_setting


class Command(BaseCommand):
    help = "Delete the files of finished or failed exports older than EXPORT_KEEP_DAYS; the jobs are kept, expired."

    def add_arguments(self, parser):
        parser.add_argument(
            "--keep-days", type=int, default=None, help="Keep files this many days (default: EXPORT_KEEP_DAYS)."
        )

    def handle(self, *args, keep_days=None, **options):
        if keep_days is not None and keep_days < 0:
            raise CommandError("--keep-days must be 0 or more.")
        days = keep_days_setting() if keep_days is None else keep_days
        expired = export_jobs_prune(keep_days=days)
        age = f"older than {days} {'day' if days == 1 else 'days'}"
        if expired == 1:
            self.stdout.write(f"Expired 1 export {age} (its file deleted).")
        else:
            deleted = " (their files deleted)" if expired else ""
            self.stdout.write(f"Expired {expired} exports {age}{deleted}.")
