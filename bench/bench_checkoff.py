"""Benchmark (issue 17): a check-off file of 100,000 rows, validated (the preview) and then validated again and posted
(confirm), against the floor of PostgreSQL COPYing the rows the posting writes into bare tables in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/bench_checkoff.py

BENCH_MEMBERS (100,000) members and BENCH_CHECKOFF_ROWS (100,000) rows; BENCH_PROFILE=1 prints a cProfile of the
first posting (cumulative time, top 40). Target: preview + post within 15 s, and within 20x the COPY floor.
Without DATABASE_URL it runs on a throwaway SQLite database (no floor). Tasks queued at commit (the members'
messages) stay in the queue, as in production."""

import datetime
import os
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")


def main() -> None:
    import django
    from django.conf import settings
    from django.test.utils import get_runner, setup_test_environment

    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    # As in production: the tasks queued once the file commits (the members' messages, one task for the whole file)
    # go to the queue for a worker, not run inline as the test settings do; they are not part of the posting.
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    django.setup()
    setup_test_environment()
    runner = get_runner(settings)(verbosity=0, interactive=False)
    old_config = runner.setup_databases()
    try:
        members = members_bulk(count=int(os.environ.get("BENCH_MEMBERS", "100000")))
        bench_checkoff(members=members, rows=int(os.environ.get("BENCH_CHECKOFF_ROWS", "100000")))
    finally:
        runner.teardown_databases(old_config)


def members_bulk(*, count: int) -> list:
    """Members inserted in bulk (setup, not measured), each with a payroll number."""
    from portal.members.models import Member, User

    start = time.perf_counter()
    users = User.objects.bulk_create(
        [User(email=f"saver{i}@example.com", first_name="Saver", last_name=str(i)) for i in range(count)],
        batch_size=5000,
    )
    members = Member.objects.bulk_create(
        [
            Member(
                user=user,
                membership_number=f"MB-BENCH-{i:06d}",
                join_date=datetime.date(2020, 1, 1),
                employer="Bench Employer",
                payroll_number=f"PB{i:06d}",
            )
            for i, user in enumerate(users)
        ],
        batch_size=5000,
    )
    print(f"setup: {count:,} members in {time.perf_counter() - start:.1f} s", flush=True)
    return members


def _file(members: list, rows: int, deposits: int) -> bytes:
    lines = ["payroll_number,share_capital,deposits,loan_repayment"]
    lines += [f"{members[i % len(members)].payroll_number},200,{deposits},0" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def bench_checkoff(*, members: list, rows: int) -> dict:
    """Preview then post, twice (first file: every summary created; next month: summaries updated); then the
    COPY floor. Returns the timings."""
    from django.db import connection

    from portal.contributions.checkoff import checkoff_post, checkoff_preview
    from portal.finance.banking.services import bank_account_primary

    results = {}
    for label, period, deposits in (
        ("first file", datetime.date(2026, 10, 1), 1000),
        ("next month", datetime.date(2026, 11, 1), 1500),
    ):
        content = _file(members, rows, deposits)
        name = f"bench-{period:%Y-%m}.csv"
        start = time.perf_counter()
        preview = checkoff_preview(content=content, file_name=name, period=period)
        preview_time = time.perf_counter() - start
        assert preview.can_post, preview.errors[:3]
        profile = None
        if os.environ.get("BENCH_PROFILE") and label == "first file":
            import cProfile

            profile = cProfile.Profile()
            profile.enable()
        start = time.perf_counter()
        outcome = checkoff_post(content=content, file_name=name, period=period, bank_account=bank_account_primary())
        post_time = time.perf_counter() - start
        if profile is not None:
            import pstats

            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        assert outcome.created and outcome.checkoff.row_count == rows
        results[label] = (preview_time, post_time)
        print(
            f"check-off {rows:,} rows, {label}: preview {preview_time:.2f} s, validate+post {post_time:.2f} s, "
            f"together {preview_time + post_time:.2f} s ({rows / post_time:,.0f} rows/s posted)",
            flush=True,
        )
    if connection.vendor == "postgresql":
        floor = copy_floor(members=members, rows=rows)
        results["copy floor"] = floor
        for label, (preview_time, post_time) in list(results.items())[:2]:
            print(
                f"  {label}: validate+post {post_time / floor:.1f}x the COPY floor, "
                f"preview+post {(preview_time + post_time) / floor:.1f}x"
            )
    return results


def copy_floor(*, members: list, rows: int) -> float:
    """PostgreSQL COPY of what posting `rows` rows writes — `rows` journal entries, 3 lines each, one contribution,
    one share capital payment and one check-off row each — into bare tables (same columns; no index, constraint
    or trigger). The rows are built before the clock starts: the floor is the database's and the driver's work."""
    from django.db import connection, transaction
    from django.utils import timezone

    now = timezone.now()
    today = datetime.date(2026, 10, 15)
    period = datetime.date(2026, 10, 1)
    entries, lines, contributions, shares, checkoff_rows = [], [], [], [], []
    checkoff = uuid.uuid4()
    for i in range(rows):
        member = members[i % len(members)].pk
        entry = uuid.uuid4()
        entries.append((entry, today, f"Check-off Oct 2026 MB-BENCH-{i:06d}", "bench.csv", f"checkoff:x:{i}", "0" * 64))
        lines.append((entry, 1, Decimal("1200.00"), Decimal("0.00"), None, "Check-off", today))
        lines.append((entry, 2, Decimal("0.00"), Decimal("200.00"), member, "Share capital Oct 2026", today))
        lines.append((entry, 3, Decimal("0.00"), Decimal("1000.00"), member, "Monthly contribution Oct 2026", today))
        contributions.append((uuid.uuid4(), member, Decimal("1000.00"), today, f"bench.csv row {i}", entry, period))
        shares.append((uuid.uuid4(), member, Decimal("200.00"), today, f"bench.csv row {i}", entry))
        checkoff_rows.append((checkoff, i + 1, member, Decimal("200.00"), Decimal("1000.00"), Decimal("0"), entry))
    tables = {
        "floor_entry": (
            "id uuid, date date, memo varchar(255), source varchar(100), key varchar(200), hash varchar(64)",
            entries,
        ),
        "floor_line": (
            "entry_id uuid, account_id int, debit numeric(14,2), credit numeric(14,2), member_id uuid, "
            "description varchar(255), date date",
            lines,
        ),
        "floor_contribution": (
            "id uuid, member_id uuid, amount numeric(14,2), date date, reference varchar(100), "
            "entry_id uuid, period date",
            contributions,
        ),
        "floor_share": (
            "id uuid, member_id uuid, amount numeric(14,2), date date, reference varchar(100), entry_id uuid",
            shares,
        ),
        "floor_row": (
            "checkoff_id uuid, row_number int, member_id uuid, share_capital numeric(14,2), "
            "deposits numeric(14,2), loan_repayment numeric(14,2), entry_id uuid",
            checkoff_rows,
        ),
    }
    with connection.cursor() as cursor:
        for table, (columns, _) in tables.items():
            cursor.execute(f"CREATE TABLE {table} ({columns})")
    del now
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table, (_, data) in tables.items():
            with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
                for row in data:
                    copy.write_row(row)
    elapsed = time.perf_counter() - start
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DROP TABLE {table}")
    written = len(entries) + len(lines) + len(contributions) + len(shares) + len(checkoff_rows)
    print(
        f"PostgreSQL COPY floor: {written:,} rows ({rows:,} entries, {len(lines):,} lines, {rows * 3:,} records) "
        f"into bare tables in {elapsed:.2f} s",
        flush=True,
    )
    return elapsed


if __name__ == "__main__":
    main()
