"""`manage.py loans_daily [--date YYYY-MM-DD]`: run the daily loan job now (it also runs from django-q2)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date

from portal.loans.jobs import loans_daily


class Command(BaseCommand):
    help = "Interest due, penalties, days past due, classification and provisioning; safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Run as of this day (default today).")

    def handle(self, *args, date=None, **options):
        today = parse_date(date) if date else None
        if date and today is None:
            raise CommandError(f"{date!r} is not a date (YYYY-MM-DD).")
        result = loans_daily(today=today)
        self.stdout.write(
            self.style.SUCCESS(
                f"Check-off rows allocated {result.checkoff_rows_allocated}, "
                f"interest postings {result.interest_posted}, penalties {result.penalties_posted}, "
                f"loans reclassified {result.reclassified}, provision movement {result.provision_movement}."
            )
        )
