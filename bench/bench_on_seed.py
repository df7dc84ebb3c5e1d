"""Benchmarks over a seeded society (issue 17): `seed_demo --members N` into the bench database instead of bench's
own bare members (run.py's members_bulk/history_bulk), then the existing benchmarks over it — the dashboard of a
generated member, the financial statements, a dividend run, the daily loan job over the seeded loan book, and one
loan's repayments and statement.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_SEED_MEMBERS=100000 \\
        .venv/bin/python bench/bench_on_seed.py      # or: BENCH_SEEDED=1 make bench

Without DATABASE_URL it runs on a throwaway SQLite database. BENCH_SEED_MEMBERS (default 10,000) and
BENCH_SEED_YEARS (5) size the society; BENCH_ONLY limits the benchmarks as in run.py. It prints the seeding time
first (the issue's goal: 100,000 members within 10 minutes on PostgreSQL), then `ledger_check`'s verdict."""

import datetime
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")


def main() -> None:
    import django
    from django.conf import settings
    from django.test.utils import get_runner, setup_test_environment

    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    django.setup()
    setup_test_environment()
    import run  # bench/run.py: the benchmarks themselves

    runner = get_runner(settings)(verbosity=0, interactive=False)
    old_config = runner.setup_databases()
    only = set(filter(None, os.environ.get("BENCH_ONLY", "").split(",")))

    def wanted(name):
        return not only or name in only

    try:
        member = seed(
            members=int(os.environ.get("BENCH_SEED_MEMBERS", "10000")),
            years=int(os.environ.get("BENCH_SEED_YEARS", "5")),
        )
        if wanted("dashboard"):
            run.bench_dashboard(requests=200, member=member)
        if wanted("statements"):
            run.bench_financial_statements()
        if wanted("dividends"):
            run.bench_dividends()
        if wanted("loans"):
            bench_loans_daily_seeded()
            run.bench_repayment_and_statement(member=member)
    finally:
        runner.teardown_databases(old_config)


def seed(*, members: int, years: int):
    """seed_demo into the bench database, timed; returns a generated member with a running loan (the dashboard's)."""
    from django.conf import settings
    from django.core.management import call_command

    from portal.loans.models import Loan
    from portal.members.demo_bulk import GENERATED_DOMAIN

    settings.MEDIA_ROOT = tempfile.mkdtemp()  # the demo's KYC specimens
    start = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", members=members, years=years, stdout=quiet)
    elapsed = time.perf_counter() - start
    print(f"seed_demo --members {members:,} --years {years}: {elapsed:.0f} s ({members / elapsed:,.0f} members/s)")
    start = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        call_command("ledger_check", stdout=quiet)
    print(
        f"ledger_check (balanced entries, trial balance, savings summaries, loan book): OK in "
        f"{time.perf_counter() - start:.0f} s"
    )
    loan = Loan.objects.filter(status="active", member__user__email__endswith=f"@{GENERATED_DOMAIN}").first()
    return loan.member


def bench_loans_daily_seeded() -> None:
    """The daily loan job over the seeded book, tomorrow (interest falling due, penalties of a new day, classes,
    the provision), then again the same day (posts nothing)."""
    from portal.loans.jobs import loans_daily
    from portal.loans.models import Loan

    loans = Loan.objects.filter(status="active").count()
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    timings = []
    for _ in range(2):
        start = time.perf_counter()
        result = loans_daily(today=tomorrow)
        timings.append((time.perf_counter() - start, result))
    (first, one), (second, two) = timings
    print(
        f"daily loan job over the seeded book ({loans:,} active loans): {first:.1f} s (interest "
        f"{one.interest_posted:,}, penalties {one.penalties_posted:,}, reclassified {one.reclassified:,}); again: "
        f"{second:.1f} s, {two.interest_posted + two.penalties_posted} postings"
    )


if __name__ == "__main__":
    main()
