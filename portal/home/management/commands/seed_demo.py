"""`manage.py seed_demo`: realistic demo data — the website, one login per role and a membership.

Idempotent: run it as often as you like; it adds what is missing and changes nothing twice. It ends with a short
summary (the logins and where to open them, on the port `bin/run-dev` serves: PORT, as for runserver); the emails
and text messages the seeding sends go to memory, not to the console.
"""

import datetime
import os
from decimal import Decimal

from django.conf import settings
from django.core import mail
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings
from django.utils import timezone

from portal.contributions.demo import bank_interest_seed, savings_seed
from portal.dividends.demo import dividends_seed
from portal.home.demo import site_seed
from portal.home.demo_society import society_loans_seed, society_members_seed
from portal.loans.demo import loans_history_seed, loans_seed
from portal.loans.selectors import portfolio_report
from portal.members import roles
from portal.members.demo import DEMO_PASSWORD, identity_seed, people_seed
from portal.members.models import Member
from portal.notifications import sms
from portal.reports.demo import reports_seed
from portal.reports.financial import financial_statements
from portal.society.money import format_money

STORY_MEMBERS = 60  # members whose history goes through the services one by one (the story the README tells)
QUIET = {
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "SMS_BACKEND": "portal.notifications.sms.LocmemSmsBackend",
}


def served_url(port: str | None) -> str:
    """The address `bin/run-dev` serves on, from PORT as runserver reads it ("8107", "0.0.0.0:8107",
    "[::1]:8107"; 127.0.0.1:8000 when unset). An address that listens everywhere is opened on this machine."""
    value = (port or "").strip() or "127.0.0.1:8000"
    host, _, number = value.rpartition(":")
    if host in ("", "0.0.0.0", "0", "[::]"):  # noqa: S104 - read, not bound
        host = "127.0.0.1"
    return f"http://{host}:{number}"


class Command(BaseCommand):
    help = "Load demo data: website pages, SACCO settings, demo logins per role, members and their savings history."

    def add_arguments(self, parser):
        parser.add_argument(
            "--members",
            type=int,
            default=STORY_MEMBERS,
            help=f"Ordinary members (default {STORY_MEMBERS}). The first --story of them are the story's, created "
            "through the services one by one; the rest are generated in bulk with years of check-off savings and a "
            "loan book (about a third borrow, in every state): 100,000 take minutes.",
        )
        parser.add_argument(
            "--story",
            type=int,
            default=STORY_MEMBERS,
            help=f"How many of the members are the story's, through the services (default {STORY_MEMBERS}; at least "
            "10 for the story's loans).",
        )
        parser.add_argument("--years", type=int, default=5, help="Years of history (default 5).")
        parser.add_argument(
            "--url",
            default=None,
            help="Where the portal is served, for the summary (default: from PORT, as bin/run-dev serves it).",
        )

    def handle(self, *args, members, years, story=STORY_MEMBERS, url=None, **options):
        if not getattr(settings, "DEMO_DATA_ALLOWED", False):
            raise CommandError("seed_demo loads known demo passwords; it refuses to run with production settings.")
        if members < 0 or years < 1 or story < 0:
            raise CommandError("--members and --story must be 0 or more and --years at least 1.")
        base = (url or served_url(os.environ.get("PORT"))).rstrip("/")
        # Approvals, invitations and workflow notices would print hundreds of lines of mail on the development
        # console backend: they go to memory while seeding (and the settings come back afterwards).
        with override_settings(**QUIET):
            emails, texts = len(getattr(mail, "outbox", [])), len(sms.outbox)
            logins = self._seed(members=members, years=years, story=story)
            emails, texts = len(getattr(mail, "outbox", [])) - emails, len(sms.outbox) - texts
        self._summary(logins, base=base, kept=(emails, texts))

    def _seed(self, *, members: int, years: int, story: int) -> list:
        story, many = min(members, story), max(members - story, 0)
        self.stdout.write("Website pages and settings…")
        site_seed()
        self.stdout.write(f"People: demo logins and {story} members over {years} years…")
        logins = people_seed(members=story, years=years)
        self.stdout.write("Invitations and KYC documents…")
        identity_seed()
        self.stdout.write("Loan products and the calculator page…")
        loans_seed()
        generated = None
        if many:
            self.stdout.write(f"{many:,} generated members and their check-off savings (bulk)…")
            generated = society_members_seed(count=many, years=years, say=self.stdout.write)
        self.stdout.write("Savings history, expenses and a check-off file (through the posting services)…")
        posted = savings_seed()
        self.stdout.write(f"  {posted} payments posted.")
        self.stdout.write("Loans in every state, month by month (through the loan services and the daily job)…")
        loans_history_seed()
        if generated is not None and generated.members:
            self.stdout.write("The generated members' loan book (bulk), the daily job and the committee's decisions…")
            society_loans_seed(generated=generated, say=self.stdout.write)
        bank_interest_seed()
        self.stdout.write("Dividends for last year, approved and posted…")
        dividends_seed()
        self.stdout.write("Statements and SASRA returns (last year approved, this year in approval), saved reports…")
        reports_seed()
        return logins

    def _summary(self, logins, *, base: str, kept: tuple[int, int]) -> None:
        today = timezone.localdate()
        income = financial_statements(start=datetime.date(today.year, 1, 1), end=today)["income_statement"]
        surplus = Decimal(income["surplus"])
        book = portfolio_report()
        write = self.stdout.write
        write("")
        write(self.style.SUCCESS(f"Demo data is ready: {Member.objects.count()} members."))
        write(
            f"  {today.year} to date: {'surplus' if surplus >= 0 else 'deficit'} {format_money(abs(surplus))}; "
            f"loans outstanding {format_money(book.outstanding)}, PAR30 {book.par30} %."
        )
        emails, texts = kept
        write(f"  {emails} emails and {texts} text messages from the seeding were kept off the console.")
        write("")
        write(f"  Public site  {base}/")
        write(f"  Members      {base}/portal/")
        write(f"  Staff        {base}/admin/")
        write(f"  API docs     {base}/api/docs/")
        write("")
        write(f"Sign in at {base}/accounts/login/ with the password {DEMO_PASSWORD} and one of:")
        for login in sorted(logins, key=lambda item: item.role != roles.MEMBERS):
            place = "/portal/" if login.role == roles.MEMBERS else "/admin/"
            write(f"  {login.role:<18} {login.email:<26} {base}{place}")
        write('Staff then pass a second factor: press "Email me a code" and read the code in the console where the')
        write("portal runs (the demo's staff have emailed codes; real staff set up an authenticator app).")
