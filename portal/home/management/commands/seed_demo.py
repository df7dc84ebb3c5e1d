"""`manage.py seed_demo`: realistic demo data — the website, one login per role and a membership.

Idempotent: run it as often as you like; it adds what is missing and changes nothing twice.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.contributions.demo import bank_interest_seed, savings_seed
from portal.dividends.demo import dividends_seed
from portal.home.demo import site_seed
from portal.loans.demo import loans_history_seed, loans_seed
from portal.members.demo import DEMO_PASSWORD, identity_seed, people_seed
from portal.reports.demo import reports_seed


class Command(BaseCommand):
    help = "Load demo data: website pages, SACCO settings, demo logins per role, members and their savings history."

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=60, help="Ordinary members to create (default 60).")
        parser.add_argument("--years", type=int, default=5, help="Years of history (default 5).")

    def handle(self, *args, members, years, **options):
        if not getattr(settings, "DEMO_DATA_ALLOWED", False):
            raise CommandError("seed_demo loads known demo passwords; it refuses to run with production settings.")
        if members < 0 or years < 1:
            raise CommandError("--members must be 0 or more and --years at least 1.")
        self.stdout.write("Website pages and settings…")
        site_seed()
        self.stdout.write(f"People: demo logins and {members} members over {years} years…")
        logins = people_seed(members=members, years=years)
        self.stdout.write("Invitations and KYC documents…")
        identity_seed()
        self.stdout.write("Loan products and the calculator page…")

        loans_seed()
        self.stdout.write("Savings history, expenses and a check-off file (through the posting services)…")

        posted = savings_seed()
        self.stdout.write(f"  {posted} payments posted.")
        self.stdout.write("Loans in every state (through the loan services and the daily job)…")

        loans_history_seed()
        bank_interest_seed()
        self.stdout.write("Dividends for last year, approved and posted…")

        dividends_seed()
        self.stdout.write("Financial statements (last year approved, this year in approval) and saved reports…")

        reports_seed()
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Sign in at http://127.0.0.1:8000/accounts/login/"))
        self.stdout.write(f"Every demo login uses the password: {DEMO_PASSWORD}")
        for login in logins:
            self.stdout.write(f"  {login.role:<18} {login.email}")
