"""Benchmarks (`make bench`): run on a throwaway SQLite database, or PostgreSQL with DATABASE_URL.

Not part of the test run. Each benchmark prints what it measured; docs/benchmarks.md records the numbers.
"""

import contextlib
import datetime
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")


def main() -> None:
    if os.environ.get("BENCH_ONLY") == "nightly":  # loan job and dividends at scale, in their own databases
        import bench_nightly

        bench_nightly.main()
        return
    if os.environ.get("BENCH_SEEDED"):  # the benchmarks over a seed_demo society instead (bench_on_seed.py)
        from bench_on_seed import main as seeded

        return seeded()
    import django
    from django.conf import settings
    from django.test.utils import setup_test_environment

    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    django.setup()
    setup_test_environment()
    from django.test.utils import get_runner

    runner = get_runner(settings)(verbosity=0, interactive=False)
    old_config = runner.setup_databases()
    only = set(filter(None, os.environ.get("BENCH_ONLY", "").split(",")))  # e.g. BENCH_ONLY=statements

    def wanted(name):
        return not only or name in only

    try:
        if wanted("registration"):
            bench_member_registration(count=int(os.environ.get("BENCH_REGISTRATIONS", "2000")))
        members = members_bulk(count=int(os.environ.get("BENCH_MEMBERS", "10000")))
        if wanted("checkoff"):
            bench_checkoff(members=members, rows=int(os.environ.get("BENCH_CHECKOFF_ROWS", "10000")))
        if "checkoff-floor" in only:  # bench/bench_checkoff.py: preview + post against the same-run COPY floor
            sys.path.insert(0, str(ROOT / "bench"))
            from bench_checkoff import bench_checkoff as bench_checkoff_floor

            bench_checkoff_floor(members=members, rows=int(os.environ.get("BENCH_CHECKOFF_ROWS", "10000")))
        history_bulk(members=members, years=int(os.environ.get("BENCH_YEARS", "5")))
        if wanted("dashboard"):
            bench_dashboard(requests=200)
        if wanted("dashboard_http") and os.environ["DATABASE_URL"].startswith("postgres"):
            from bench_dashboard_http import run as bench_dashboard_http  # gunicorn, 2 workers, over loopback

            bench_dashboard_http(
                members=len(members), years=int(os.environ.get("BENCH_YEARS", "5")), clients=8, seconds=10
            )
        if wanted("statements"):
            bench_financial_statements()
        if wanted("dividends"):
            bench_dividends()
        if wanted("reports"):
            bench_saved_reports(kinds=["member_balances", "contributions", "financial_statements"])
        if wanted("loans"):
            bench_loans_daily(members=members, loans=int(os.environ.get("BENCH_LOANS", "20000")))
            bench_repayment_and_statement(member=members[0])
            if wanted("reports") or not only:
                bench_saved_reports(kinds=["loan_portfolio", "loans_in_arrears"])
    finally:
        runner.teardown_databases(old_config)


def bench_member_registration(*, count: int) -> None:
    """Members created one by one through member_create (the path invitations will use)."""
    from portal.members.models import User
    from portal.members.services import member_create

    users = User.objects.bulk_create(
        [User(email=f"bench{i}@example.com", first_name="Bench", last_name=str(i)) for i in range(count)]
    )
    start = time.perf_counter()
    for i, user in enumerate(users):
        member_create(user=user, join_date=datetime.date(2020, 1, 1) + datetime.timedelta(days=i % 2000))
    elapsed = time.perf_counter() - start
    print(f"member_create: {count} members in {elapsed:.2f} s ({count / elapsed:,.0f} members/s)")


def members_bulk(*, count: int) -> list:
    """Members inserted in bulk (setup, not measured), each with a payroll number for check-off."""
    from portal.members.models import Member, User

    start = time.perf_counter()
    users = User.objects.bulk_create(
        [User(email=f"saver{i}@example.com", first_name="Saver", last_name=str(i)) for i in range(count)],
        batch_size=2000,
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
        batch_size=2000,
    )
    print(f"setup: {count:,} members in {time.perf_counter() - start:.1f} s")
    return members


def bench_checkoff(*, members: list, rows: int) -> None:
    """A check-off file of `rows` rows: dry-run preview, then validated again and posted (one entry per row)."""
    from django.db import connection

    from portal.contributions.checkoff import checkoff_post, checkoff_preview
    from portal.finance.banking.services import bank_account_primary

    period = datetime.date(2026, 10, 1)
    lines = ["payroll_number,share_capital,deposits,loan_repayment"]
    lines += [f"{members[i % len(members)].payroll_number},200,1000,0" for i in range(rows)]
    content = ("\n".join(lines) + "\n").encode()
    start = time.perf_counter()
    preview = checkoff_preview(content=content, file_name="bench.csv", period=period)
    preview_time = time.perf_counter() - start
    assert preview.can_post, preview.errors[:3]
    start = time.perf_counter()
    outcome = checkoff_post(content=content, file_name="bench.csv", period=period, bank_account=bank_account_primary())
    post_time = time.perf_counter() - start
    assert outcome.created and outcome.checkoff.row_count == rows
    print(
        f"check-off {rows:,} rows, first file (every summary created): preview {preview_time:.2f} s, "
        f"validate+post {post_time:.2f} s ({rows / post_time:,.0f} rows/s posted)"
    )
    # The usual month: the same members again, their summaries now exist.
    content = content.replace(b",200,1000,", b",200,1500,")
    start = time.perf_counter()
    preview = checkoff_preview(content=content, file_name="bench-nov.csv", period=datetime.date(2026, 11, 1))
    preview_time = time.perf_counter() - start
    start = time.perf_counter()
    checkoff_post(
        content=content,
        file_name="bench-nov.csv",
        period=datetime.date(2026, 11, 1),
        bank_account=bank_account_primary(),
    )
    post_time = time.perf_counter() - start
    print(
        f"check-off {rows:,} rows, next month: preview {preview_time:.2f} s, validate+post {post_time:.2f} s "
        f"({rows / post_time:,.0f} rows/s posted)"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE bench_copy (payroll_number text, share_capital numeric(14,2), "
                "deposits numeric(14,2), loan_repayment numeric(14,2))"
            )
            start = time.perf_counter()
            with cursor.copy("COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                copy.write(content)
            copy_time = time.perf_counter() - start
            cursor.execute("DROP TABLE bench_copy")
        print(f"PostgreSQL COPY of the same {rows:,} rows: {copy_time:.3f} s ({rows / copy_time:,.0f} rows/s)")


def history_bulk(*, members: list, years: int) -> None:
    """`years` of monthly contributions and share capital for every member, inserted straight into the journal
    (setup for the dashboard benchmark, not measured; the posting path is measured by the check-off benchmark)."""
    import uuid
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from portal.contributions.models import MonthlyContribution
    from portal.contributions.services import summaries_refresh
    from portal.finance.banking.services import bank_account_primary
    from portal.finance.bulk_insert import rows_insert
    from portal.finance.ledger.models import Account, JournalEntry, JournalLine

    start = time.perf_counter()
    bank = bank_account_primary()
    accounts = {a.code: a for a in Account.objects.filter(code__in=["1010", "2000", "3000"])}
    amount = Decimal("1000.00")
    entries, lines, records = [], [], []
    now = timezone.now()

    def flush():
        with transaction.atomic():
            rows_insert(JournalEntry, entries)
            rows_insert(JournalLine, lines)
            rows_insert(MonthlyContribution, records)
        entries.clear()
        lines.clear()
        records.clear()

    for member in members:
        for month in range(12 * years):
            period = datetime.date(2020 + month // 12, month % 12 + 1, 1)
            entry_id = uuid.uuid4()
            entries.append(
                {
                    "id": entry_id,
                    "date": period,
                    "memo": "bench",
                    "idempotency_key": f"bench:{member.pk}:{month}",
                    "posted_at": now,
                }
            )
            lines.append(
                {
                    "entry_id": entry_id,
                    "account_id": accounts["1010"].pk,
                    "debit": amount * 2,
                    "credit": 0,
                    "date": period,
                }
            )
            lines.append(
                {
                    "entry_id": entry_id,
                    "account_id": accounts["2000"].pk,
                    "debit": 0,
                    "credit": amount,
                    "member_id": member.pk,
                    "date": period,
                }
            )
            lines.append(
                {
                    "entry_id": entry_id,
                    "account_id": accounts["3000"].pk,
                    "debit": 0,
                    "credit": amount,
                    "member_id": member.pk,
                    "date": period,
                }
            )
            records.append(
                {
                    "member_id": member.pk,
                    "amount": amount,
                    "date": period,
                    "period": period,
                    "bank_account_id": bank.pk,
                    "entry_id": entry_id,
                    "source": "demo",
                }
            )
        if len(entries) >= 20000:
            flush()
    flush()
    summaries_refresh(member_ids=[m.pk for m in members])
    from django.db import connection

    if connection.vendor == "postgresql":  # what autovacuum does after a bulk load: fresh planner statistics
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE finance_journalline; ANALYZE finance_journalentry")
    print(
        f"setup: {years} years of history for {len(members):,} members "
        f"({len(members) * 12 * years:,} entries) in {time.perf_counter() - start:.1f} s"
    )


def bench_dashboard(*, requests: int, member=None) -> None:
    """Server time of the member dashboard (the Django test client: no network, no browser)."""
    from django.test import Client

    from portal.members.models import Member

    client = Client()
    member = member or Member.objects.filter(membership_number__startswith="MB-BENCH").order_by("?").first()
    client.force_login(member.user)
    timings = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get("/portal/")
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    timings.sort()
    print(
        f"dashboard: median {statistics.median(timings):.1f} ms, "
        f"p95 {timings[int(len(timings) * 0.95)]:.1f} ms over {requests} requests"
    )


def bench_financial_statements() -> None:
    """All four statements for one year over the whole journal (R1: aggregated in SQL, two passes)."""
    from portal.finance.ledger.models import JournalLine
    from portal.reports.financial import financial_statements

    lines = JournalLine.objects.count()
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        data = financial_statements(start=datetime.date(2023, 1, 1), end=datetime.date(2023, 12, 31))
        timings.append(time.perf_counter() - start)
    assert data["balance_sheet"]["balances"] and data["cash_flow"]["ties"]
    print(f"financial statements over {lines:,} journal lines: best {min(timings):.2f} s, worst {max(timings):.2f} s")


def bench_saved_reports(*, kinds: list[str]) -> None:
    """Saved report types (R6) over the whole society: building the tables, then each file format."""
    from portal.reports.catalogue import REPORT_TYPES, report_build
    from portal.society.tabular import render

    today = datetime.date(2024, 1, 15)
    for key in kinds:
        start = time.perf_counter()
        report = report_build(
            report_type=REPORT_TYPES[key], start=datetime.date(2023, 1, 1), end=datetime.date(2023, 12, 31), today=today
        )
        built = time.perf_counter() - start
        files = []
        for output in ("csv", "xlsx", "pdf"):
            start = time.perf_counter()
            size = len(render(report, output))
            files.append(f"{output} {time.perf_counter() - start:.2f} s ({size // 1024:,} KB)")
        print(f"report {key}: {report.row_count:,} rows built in {built:.2f} s; " + ", ".join(files))


def bench_dividends() -> None:
    """A dividend run for every member (D1): compute from the ledger (the preview), then post one entry per member
    plus the payout to deposits (what the workflow's end does)."""
    from decimal import Decimal

    from portal.dividends.compute import dividend_compute
    from portal.dividends.models import DividendDeclaration
    from portal.dividends.services import dividend_post

    declaration = DividendDeclaration(
        financial_year=2023, share_capital_rate=Decimal("10"), deposit_rate=Decimal("6"), withholding_tax_rate=5
    )
    start = time.perf_counter()
    run = dividend_compute(declaration=declaration)
    compute_time = time.perf_counter() - start
    declaration.preview = run.summary()
    declaration.save()
    start = time.perf_counter()
    posting = dividend_post(declaration=declaration)
    post_time = time.perf_counter() - start
    print(
        f"dividends for {posting.members:,} members: compute {compute_time:.2f} s, post {post_time:.2f} s "
        f"(total {compute_time + post_time:.2f} s)"
    )


def bench_loans_daily(*, members: list, loans: int) -> None:
    """The daily loan job over `loans` active 12-month loans (inserted in bulk: setup, not measured), about a
    fifth of them in arrears; run twice to show the second run posts nothing."""
    import uuid
    from decimal import Decimal

    from django.db import transaction

    from portal.finance.bulk_insert import rows_insert
    from portal.finance.ledger.models import JournalEntry
    from portal.loans.demo import loans_seed
    from portal.loans.jobs import loans_daily
    from portal.loans.models import Loan, LoanApplication, LoanInstalment, LoanProduct
    from portal.loans.schedule import schedule_build

    loans_seed()
    product = LoanProduct.objects.get(slug="development")
    today = datetime.date.today()
    start = time.perf_counter()
    applications, loan_rows, instalments = [], [], []
    for n in range(loans):
        member = members[n % len(members)]
        disbursed = today - datetime.timedelta(days=30 + n % 330)
        principal = Decimal(50000 + (n % 50) * 1000)
        schedule = schedule_build(
            principal=principal, annual_rate=Decimal("12"), months=12, method="annuity", start=disbursed
        )
        application_id, loan_id = uuid.uuid4(), uuid.uuid4()
        applications.append(
            {
                "id": application_id,
                "member_id": member.pk,
                "product_id": product.pk,
                "amount": principal,
                "term_months": 12,
                "purpose": "bench",
                "annual_rate": Decimal("12"),
                "method": "annuity",
                "status": "disbursed",
            }
        )
        loan_rows.append(
            {
                "id": loan_id,
                "application_id": application_id,
                "member_id": member.pk,
                "product_id": product.pk,
                "principal": principal,
                "amount_paid_out": principal,
                "annual_rate": Decimal("12"),
                "method": "annuity",
                "term_months": 12,
                "disbursed_on": disbursed,
            }
        )
        in_arrears = n % 5 == 0
        for row in schedule.instalments:
            due = row.due_date < today
            paid = due and not (in_arrears and row.due_date > today - datetime.timedelta(days=90))
            instalments.append(
                {
                    "loan_id": loan_id,
                    "number": row.number,
                    "due_date": row.due_date,
                    "principal": row.principal,
                    "interest": row.interest,
                    "principal_paid": row.principal if paid else 0,
                    "interest_paid": row.interest if paid else 0,
                    "interest_accrued": row.due_date < today - datetime.timedelta(days=1),
                }
            )
    with transaction.atomic():
        rows_insert(LoanApplication, applications)
        rows_insert(Loan, loan_rows)
        rows_insert(LoanInstalment, instalments)
    print(f"setup: {loans:,} loans, {len(instalments):,} instalments in {time.perf_counter() - start:.1f} s")
    before = JournalEntry.objects.count()
    start = time.perf_counter()
    first = loans_daily(today=today)
    first_time = time.perf_counter() - start
    start = time.perf_counter()
    second = loans_daily(today=today)
    second_time = time.perf_counter() - start
    print(
        f"daily loan job, {loans:,} loans: {first_time:.1f} s (interest {first.interest_posted:,}, penalties "
        f"{first.penalties_posted:,}, reclassified {first.reclassified:,}); again: {second_time:.1f} s, "
        f"{second.interest_posted + second.penalties_posted} postings "
        f"({JournalEntry.objects.count() - before:,} entries in all)"
    )


@contextlib.contextmanager
def _as_in_production():
    """Time a posting as production runs it. The test settings run django-q tasks inline (`sync`) — the member's
    repayment message would be sent inside the timed call — and keep no database connection between uses
    (CONN_MAX_AGE 0), so the queue's broker reconnects twice per repayment. Production queues the task for a
    worker and keeps connections (docs/operations.md)."""
    from django.db import connection
    from django_q.conf import Conf

    sync, max_age = Conf.SYNC, connection.settings_dict["CONN_MAX_AGE"]
    Conf.SYNC, connection.settings_dict["CONN_MAX_AGE"] = False, 60
    connection.close()  # the next connection is opened with the new lifetime
    try:
        yield
    finally:
        Conf.SYNC, connection.settings_dict["CONN_MAX_AGE"] = sync, max_age
        connection.close()


def bench_repayment_and_statement(*, member) -> None:
    """One repayment through `loan_repay` (locks, allocation, ledger), and a 5-year loan's statement PDF."""
    from decimal import Decimal

    from portal.loans.models import LoanApplication, LoanProduct
    from portal.loans.schedule import due_date
    from portal.loans.services import application_approve, loan_disburse, loan_repay
    from portal.loans.statements import loan_statement_pdf

    product = LoanProduct.objects.get(slug="development")
    today = datetime.date.today()
    application = LoanApplication.objects.create(
        member=member,
        product=product,
        amount=Decimal("500000.00"),
        term_months=60,
        purpose="bench",
        annual_rate=product.annual_rate,
        method=product.method,
    )
    application_approve(application=application, by=None)
    loan = loan_disburse(application=application, by=None, date=due_date(today, -60)).loan
    timings = []
    with _as_in_production():
        for instalment in loan.instalments.order_by("number")[:59]:
            start = time.perf_counter()
            reference = f"bench-{instalment.pk}"
            loan_repay(loan=loan, amount=instalment.amount, reference=reference, date=instalment.due_date)
            timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    print(
        f"loan repayment (member's message queued, connection kept): median {statistics.median(timings):.1f} ms, "
        f"p95 {timings[int(len(timings) * 0.95)]:.1f} ms"
    )
    start = time.perf_counter()
    pdf = loan_statement_pdf(loan=loan)
    print(f"5-year loan statement PDF (119 rows): {time.perf_counter() - start:.2f} s, {len(pdf) // 1024} KB")


if __name__ == "__main__":
    main()
