"""The nightly loan job and a dividend run at scale, each against a floor measured in the same run (PostgreSQL).

    DATABASE_URL=postgres://... .venv/bin/python bench/bench_nightly.py

`BENCH_NIGHTLY_SIZES` (default "10000,50000,100000") loan-book sizes, each in a fresh test database (a child
process per size): the job's first run of the day and its rerun, and the floor — one plain SQL arrears scan (the
unpaid instalments due, grouped by loan). `BENCH_NIGHTLY_DIVIDEND_MEMBERS` (default 100000; 0 to skip) members with
a year of monthly deposits and share capital: the dividend preview and the posting, against the floor of one
grouped SQL sum of the same lines. Setup (bulk inserts) is not measured.
"""

import contextlib
import cProfile
import datetime
import functools
import os
import pstats
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")


def main() -> None:
    mode = os.environ.get("BENCH_NIGHTLY_MODE")
    if mode:
        _child(mode)
        return
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    env = dict(os.environ)
    runs = [
        {"BENCH_NIGHTLY_MODE": "loans", "BENCH_LOANS": s}
        for s in env.get("BENCH_NIGHTLY_SIZES", "10000,50000,100000").split(",")
        if s
    ]
    members = int(env.get("BENCH_NIGHTLY_DIVIDEND_MEMBERS", "100000"))
    if members:
        runs.append({"BENCH_NIGHTLY_MODE": "dividends", "BENCH_MEMBERS": str(members)})
    with _migrated_template() as fresh:
        for run in runs:
            fresh()
            subprocess.run([sys.executable, __file__], env={**env, **run}, check=True)  # noqa: S603


@contextlib.contextmanager
def _migrated_template():
    """Migrate the test database once; each run then starts from a copy of it (PostgreSQL: CREATE DATABASE ...
    TEMPLATE), as migrating takes minutes on a loaded machine. Yields the function that makes the fresh copy."""
    import django
    from django.conf import settings
    from django.db import connection
    from django.test.utils import get_runner, setup_test_environment

    django.setup()
    setup_test_environment()
    runner = get_runner(settings)(verbosity=0, interactive=False)
    old_config = runner.setup_databases()
    if connection.vendor != "postgresql":
        try:
            yield lambda: None
        finally:
            runner.teardown_databases(old_config)
        return
    import psycopg

    name = connection.settings_dict["NAME"]
    template = f"{name}_template"
    connection.close()
    params = {k: v for k, v in connection.get_connection_params().items() if k in {"host", "port", "user", "password"}}
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{template}"')
        admin.execute(f'CREATE DATABASE "{template}" TEMPLATE "{name}"')

        def fresh():
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')

        try:
            yield fresh
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'DROP DATABASE IF EXISTS "{template}"')


def _child(mode: str) -> None:
    import django
    from django.conf import settings
    from django.test.utils import get_runner, setup_test_environment

    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    django.setup()
    setup_test_environment()
    # keepdb: the parent made this database fresh from the migrated template (SQLite: the parent's own file).
    runner = get_runner(settings)(verbosity=0, interactive=False, keepdb=True)
    old_config = runner.setup_databases()
    try:
        if mode == "loans":
            loans = int(os.environ["BENCH_LOANS"])
            members = _members(count=min(loans, int(os.environ.get("BENCH_MEMBERS", "100000"))))
            bench_nightly_loans(member_ids=members, loans=loans)
        else:
            members = _members(count=int(os.environ["BENCH_MEMBERS"]))
            bench_nightly_dividends(member_ids=members)
    finally:
        runner.teardown_databases(old_config)


def _analyze(*tables: str) -> None:
    """What autovacuum does after a bulk load: fresh planner statistics."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(tables))


def _members(*, count: int) -> list:
    """`count` members inserted in bulk (setup, not measured); their ids."""
    import uuid

    from django.db import transaction

    from portal.finance.bulk_insert import rows_insert
    from portal.members.models import Member, User

    start = time.perf_counter()
    users = User.objects.bulk_create(
        [User(email=f"nightly{i}@example.com", first_name="Nightly", last_name=str(i)) for i in range(count)],
        batch_size=5000,
    )
    ids = [uuid.uuid4() for _ in range(count)]
    with transaction.atomic():
        rows_insert(
            Member,
            [
                {
                    "id": member_id,
                    "user_id": user.pk,
                    "membership_number": f"MB-N-{i:06d}",
                    "join_date": datetime.date(2020, 1, 1),
                    "employer": "Bench Employer",
                    "payroll_number": f"PN{i:06d}",
                }
                for i, (member_id, user) in enumerate(zip(ids, users, strict=True))
            ],
        )
    _analyze("members_member", "members_user")
    print(f"setup: {count:,} members in {time.perf_counter() - start:.1f} s", flush=True)
    return ids


def _loan_book(*, member_ids: list, loans: int, today: datetime.date) -> int:
    """`loans` active 12-month loans of three products (percentage penalties at two rates, a fixed penalty with grace
    days): a fifth in arrears for the last three months, a tenth of those partly paid, the
    instalments due in the last few days not yet accrued. Inserted in bulk; returns the instalment count."""
    import uuid

    from django.db import transaction

    from portal.finance.bulk_insert import rows_insert
    from portal.loans.demo import loans_seed
    from portal.loans.models import Loan, LoanApplication, LoanInstalment, LoanProduct
    from portal.loans.schedule import schedule_build

    loans_seed()
    products = list(LoanProduct.objects.order_by("slug")[:3])
    if len(products) > 1:
        LoanProduct.objects.filter(pk=products[1].pk).update(
            penalty_kind="fixed", penalty_fixed_amount=Decimal("250.00"), penalty_grace_days=5
        )
    if len(products) > 2:
        LoanProduct.objects.filter(pk=products[2].pk).update(penalty_rate_monthly=Decimal("2.0000"))

    @functools.cache
    def schedule(principal, disbursed):
        return schedule_build(
            principal=principal, annual_rate=Decimal("12"), months=12, method="annuity", start=disbursed
        )

    applications, loan_rows, instalments = [], [], []
    for n in range(loans):
        member_id = member_ids[n % len(member_ids)]
        product = products[n % len(products)]
        disbursed = today - datetime.timedelta(days=30 + n % 330)
        principal = Decimal(50000 + (n % 50) * 1000)
        application_id, loan_id = uuid.uuid4(), uuid.uuid4()
        common = {
            "member_id": member_id,
            "product_id": product.pk,
            "annual_rate": Decimal("12"),
            "method": "annuity",
            "term_months": 12,
        }
        applications.append(
            {"id": application_id, "amount": principal, "purpose": "bench", "status": "disbursed", **common}
        )
        loan_rows.append(
            {
                "id": loan_id,
                "application_id": application_id,
                "principal": principal,
                "amount_paid_out": principal,
                "disbursed_on": disbursed,
                **common,
            }
        )
        in_arrears, partly = n % 5 == 0, n % 50 == 0
        for row in schedule(principal, disbursed).instalments:
            due = row.due_date < today
            paid = due and not (in_arrears and row.due_date > today - datetime.timedelta(days=90))
            part = Decimal("1000.00") if (partly and due and not paid) else Decimal("0")
            instalments.append(
                {
                    "loan_id": loan_id,
                    "number": row.number,
                    "due_date": row.due_date,
                    "principal": row.principal,
                    "interest": row.interest,
                    "principal_paid": row.principal if paid else 0,
                    "interest_paid": row.interest if paid else part,
                    "interest_accrued": row.due_date < today - datetime.timedelta(days=3),
                }
            )
    with transaction.atomic():
        rows_insert(LoanApplication, applications)
        rows_insert(Loan, loan_rows)
        rows_insert(LoanInstalment, instalments)
    _analyze("loans_loanapplication", "loans_loan", "loans_loaninstalment")
    return len(instalments)


def arrears_floor(*, today: datetime.date) -> tuple[float, int]:
    """The floor: one plain SQL scan of the unpaid instalments due, grouped by active loan (oldest due date and the
    overdue amount), every row fetched. (seconds, loans in arrears)"""
    from django.db import connection

    from portal.loans.models import Loan, LoanInstalment

    sql = (
        f"SELECT i.loan_id, MIN(i.due_date), SUM(i.principal + i.interest - i.principal_paid - i.interest_paid) "  # noqa: S608
        f"FROM {LoanInstalment._meta.db_table} i JOIN {Loan._meta.db_table} l ON l.id = i.loan_id "
        "WHERE l.status = 'active' AND NOT i.superseded AND i.due_date < %s "
        "AND (i.principal_paid < i.principal OR i.interest_paid < i.interest OR i.penalty_paid < i.penalty) "
        "GROUP BY i.loan_id"
    )
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, [today])
        rows = cursor.fetchall()
    return time.perf_counter() - start, len(rows)


def bench_nightly_loans(*, member_ids: list, loans: int) -> None:
    """The daily loan job's first run of the day over the loan book, its rerun, and the floor."""
    from portal.finance.ledger.models import JournalEntry
    from portal.loans.jobs import loans_daily

    today = datetime.date.today()
    start = time.perf_counter()
    count = _loan_book(member_ids=member_ids, loans=loans, today=today)
    print(f"setup: {loans:,} loans, {count:,} instalments in {time.perf_counter() - start:.1f} s", flush=True)
    floor_before, _ = arrears_floor(today=today)
    before = JournalEntry.objects.count()
    profile = cProfile.Profile() if os.environ.get("BENCH_NIGHTLY_PROFILE") else None
    start = time.perf_counter()
    if profile:
        profile.enable()
    first = loans_daily(today=today)
    first_time = time.perf_counter() - start
    if profile:
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
    entries = JournalEntry.objects.count() - before
    profile = cProfile.Profile() if os.environ.get("BENCH_NIGHTLY_PROFILE") else None
    start = time.perf_counter()
    if profile:
        profile.enable()
    again = loans_daily(today=today)
    again_time = time.perf_counter() - start
    if profile:
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    floor_after, in_arrears = arrears_floor(today=today)
    floor = min(floor_before, floor_after)
    print(
        f"nightly loans {loans:,}: first run {first_time:.2f} s (interest {first.interest_posted:,}, penalties "
        f"{first.penalties_posted:,}, reclassified {first.reclassified:,}, provision {first.provision_movement}; "
        f"{entries:,} entries); rerun {again_time:.2f} s ({again.interest_posted + again.penalties_posted} postings, "
        f"{again.reclassified} reclassified); floor (SQL arrears scan, {in_arrears:,} loans) {floor:.3f} s; "
        f"ratio first/floor {first_time / floor:,.0f}x, rerun/floor {again_time / floor:,.0f}x",
        flush=True,
    )


def _year_history(*, member_ids: list, year: int) -> int:
    """For each member an opening balance on 31 December of the year before and twelve monthly contributions of
    deposits and share capital in `year`, written straight into the journal by SQL (setup, not measured)."""
    from django.db import connection, transaction

    from portal.contributions.services import summaries_refresh
    from portal.finance.ledger.models import Account, JournalEntry, JournalLine

    accounts = dict(Account.objects.filter(code__in=["1010", "2000", "3000"]).values_list("code", "pk"))
    entry_table, line_table = JournalEntry._meta.db_table, JournalLine._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        # Setup only: the rows are balanced by construction; skip the per-line balance trigger (superuser).
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("CREATE TEMP TABLE bench_members (id uuid, n int)")
        with cursor.cursor.copy("COPY bench_members (id, n) FROM STDIN") as copy:
            for n, member_id in enumerate(member_ids):
                copy.write_row([member_id, n])
        cursor.execute(
            "CREATE TEMP TABLE bench_entries AS SELECT gen_random_uuid() AS id, m.id AS member_id, m.n, k.k, "
            "(CASE WHEN k.k = 0 THEN make_date(%s, 12, 31) ELSE make_date(%s, k.k, 28) END) AS date "
            "FROM bench_members m CROSS JOIN generate_series(0, 12) AS k(k)",
            [year - 1, year],
        )
        cursor.execute(
            f"INSERT INTO {entry_table} (id, date, memo, source, idempotency_key, posted_at) "  # noqa: S608
            "SELECT id, date, 'bench', '', 'nightly:' || n || ':' || k, now() FROM bench_entries"
        )
        amount = "(CASE WHEN k = 0 THEN 20000 + (n %% 97) * 100 ELSE 1000 + (n %% 13) * 50 END)"
        for account, debit, credit, member in (
            ("1010", f"2 * {amount}", "0", "NULL"),
            ("2000", "0", amount, "member_id"),
            ("3000", "0", amount, "member_id"),
        ):
            cursor.execute(
                f"INSERT INTO {line_table} (entry_id, account_id, debit, credit, member_id, description, date) "  # noqa: S608
                f"SELECT id, %s, {debit}, {credit}, {member}, '', date FROM bench_entries",
                [accounts[account]],
            )
        cursor.execute("SELECT count(*) FROM bench_entries")
        (entries,) = cursor.fetchone()
        cursor.execute("DROP TABLE bench_entries; DROP TABLE bench_members")
    summaries_refresh(member_ids=member_ids)
    _analyze(entry_table, line_table)
    return entries


def dividend_floor(*, year: int) -> float:
    """The floor: one grouped SQL sum of the year's member lines on 2000 and 3000 (closing and average basis), every
    row fetched."""
    from django.db import connection

    from portal.finance.ledger.models import Account, JournalLine

    ids = list(Account.objects.filter(code__in=["2000", "3000"]).values_list("pk", flat=True))
    month_sums = ", ".join(
        f"SUM(credit - debit) FILTER (WHERE date <= (make_date(%s, {m}, 1) + interval '1 month' - interval '1 day'))"
        for m in range(1, 13)
    )
    sql = (
        f"SELECT member_id, account_id, {month_sums} FROM {JournalLine._meta.db_table} "  # noqa: S608
        "WHERE account_id = ANY(%s) AND member_id IS NOT NULL AND date <= make_date(%s, 12, 31) "
        "GROUP BY member_id, account_id"
    )
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, [year] * 12 + [ids, year])
        cursor.fetchall()
    return time.perf_counter() - start


def bench_nightly_dividends(*, member_ids: list) -> None:
    """A dividend run for every member: the preview (compute from the ledger), then the posting on approval
    (recompute, compare, one entry per member, paid to deposits)."""
    from portal.dividends.compute import dividend_compute
    from portal.dividends.models import DividendDeclaration
    from portal.dividends.services import dividend_post

    year = datetime.date.today().year - 1
    start = time.perf_counter()
    entries = _year_history(member_ids=member_ids, year=year)
    print(f"setup: {entries:,} entries of {year} history in {time.perf_counter() - start:.1f} s", flush=True)
    floor = dividend_floor(year=year)
    declaration = DividendDeclaration(
        financial_year=year, share_capital_rate=Decimal("10"), deposit_rate=Decimal("6"), withholding_tax_rate=5
    )
    start = time.perf_counter()
    run = dividend_compute(declaration=declaration)
    preview_time = time.perf_counter() - start
    declaration.preview = run.summary()
    declaration.save()
    profile = cProfile.Profile() if os.environ.get("BENCH_NIGHTLY_PROFILE") else None
    start = time.perf_counter()
    if profile:
        profile.enable()
    posting = dividend_post(declaration=declaration)
    post_time = time.perf_counter() - start
    if profile:
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    floor = min(floor, dividend_floor(year=year))
    print(
        f"dividends {posting.members:,} members: preview {preview_time:.2f} s, posting {post_time:.2f} s (total "
        f"{preview_time + post_time:.2f} s); floor (grouped SQL sum of the year's lines) {floor:.3f} s; ratio "
        f"preview/floor {preview_time / floor:,.1f}x, posting/floor {post_time / floor:,.1f}x",
        flush=True,
    )


if __name__ == "__main__":
    main()
