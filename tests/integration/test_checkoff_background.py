"""Issue 17: a large check-off file posts in the background (a django-q2 task; sync in tests) with a progress page
that refreshes itself without JavaScript — still all or nothing, and the same file still posts once."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.contributions import checkoff as checkoff_module
from portal.contributions.checkoff_runs import checkoff_run_start, checkoff_run_task
from portal.contributions.models import CheckoffImport, CheckoffRow, CheckoffRun, MonthlyContribution
from portal.finance.banking.services import bank_account_primary
from portal.finance.ledger.models import JournalEntry
from portal.finance.ledger.selectors import account_balance
from portal.members import roles
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db
D = Decimal
LAST_MONTH = (datetime.date.today().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
PERIOD = LAST_MONTH.strftime("%Y-%m")


def csv_bytes(*rows):
    return ("\n".join(["payroll_number,share_capital,deposits,loan_repayment", *rows]) + "\n").encode()


@pytest.fixture
def clerk(client, staff_user):
    user = staff_user(roles.CLERKS)
    sign_in_verified(client, user)
    return user


@pytest.fixture
def payroll_members(make_member):
    return [make_member(payroll_number=f"P{i:03d}") for i in range(1, 4)]


@pytest.fixture
def background(settings):
    settings.CHECKOFF_BACKGROUND_ROWS = 2  # files of more than 2 rows post in the background


def _preview_and_confirm(client, content, captured, name="oct.csv"):
    data = {
        "file": SimpleUploadedFile(name, content),
        "period": PERIOD,
        "bank_account": bank_account_primary().pk,
        "received_on": datetime.date.today().isoformat(),
        "below_minimum_reason": "",
    }
    response = client.post("/admin/savings/checkoff/", data)
    assert response.status_code == 200
    form = response.context["confirm_form"]
    confirm = {name: form.initial.get(name, "") for name in form.fields}
    with captured(execute=True):  # the task is queued on commit; Q_CLUSTER sync runs it there
        return client.post("/admin/savings/checkoff/", {**confirm, "confirm": "1"})


def test_a_large_file_posts_in_the_background_and_its_page_says_posted(
    client, clerk, background, payroll_members, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    content = csv_bytes("P001,500,1000,0", "P002,0,1500.50,2000", "P003,1000,1000,")
    response = _preview_and_confirm(client, content, django_capture_on_commit_callbacks)
    run = CheckoffRun.objects.get()
    assert response.status_code == 302 and response.url == f"/admin/savings/checkoff/runs/{run.pk}/"
    assert run.status == "posted" and not run.already_posted
    assert (run.row_count, run.rows_checked, run.rows_posted) == (3, 3, 3)
    assert run.checkoff.row_count == 3 and run.created_by == clerk and run.content == b""
    assert JournalEntry.objects.count() == 3 and CheckoffRow.objects.count() == 3
    assert account_balance(code="2000", member=payroll_members[1]) == D("1500.50")
    with django_assert_max_num_queries(20):
        page = client.get(response.url)
    assert page.status_code == 200
    assert b"Posted: 3 of 3 rows" in page.content and b'http-equiv="refresh"' not in page.content
    assert len(page.content) < 60_000, len(page.content)


def test_a_small_file_still_posts_at_once(client, clerk, payroll_members, django_capture_on_commit_callbacks):
    response = _preview_and_confirm(client, csv_bytes("P001,500,1000,0"), django_capture_on_commit_callbacks)
    checkoff = CheckoffImport.objects.get()
    assert response.status_code == 302 and str(checkoff.pk) in response.url
    assert not CheckoffRun.objects.exists() and JournalEntry.objects.count() == 1


def test_a_bad_row_posts_nothing_and_the_page_names_its_row_and_field(
    client, clerk, payroll_members, django_capture_on_commit_callbacks
):
    run = checkoff_run_start(
        content=csv_bytes("P001,500,1000,0", "P999,0,1000,0", "P003,0,1000,0"),
        file_name="oct.csv",
        period=LAST_MONTH,
        bank_account=bank_account_primary(),
        received_on=datetime.date.today(),
        created_by=clerk,
    )
    checkoff_run_task(str(run.pk))
    run.refresh_from_db()
    assert run.status == "failed" and run.rows_posted == 0
    assert run.row_errors == [[2, "payroll_number", "No member has payroll number P999."]]
    assert "Row 2, payroll_number" in run.error
    assert JournalEntry.objects.count() == 0 and CheckoffImport.objects.count() == 0
    page = client.get(f"/admin/savings/checkoff/runs/{run.pk}/")
    assert b"Failed." in page.content and b"No member has payroll number P999." in page.content
    assert b'http-equiv="refresh"' not in page.content


def test_a_failure_while_posting_rolls_everything_back(clerk, payroll_members, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(checkoff_module, "summaries_add", broken)  # after the entries and records are written
    run = checkoff_run_start(
        content=csv_bytes("P001,500,1000,0", "P002,0,1000,0", "P003,0,1000,0"),
        file_name="oct.csv",
        period=LAST_MONTH,
        bank_account=bank_account_primary(),
        received_on=datetime.date.today(),
        created_by=clerk,
    )
    checkoff_run_task(str(run.pk))
    run.refresh_from_db()
    assert run.status == "failed" and "disk full" in run.error and run.rows_posted == 0
    assert JournalEntry.objects.count() == 0 and MonthlyContribution.objects.count() == 0
    assert CheckoffImport.objects.count() == 0 and CheckoffRow.objects.count() == 0


def test_progress_is_written_before_the_posting_transaction_and_the_page_refreshes(
    client, clerk, payroll_members, monkeypatch
):
    monkeypatch.setattr(checkoff_module, "PROGRESS_EVERY", 1)
    seen = []
    post_rows = checkoff_module._post_rows

    def watching(checkoff, rows, reason, posted_by):
        run = CheckoffRun.objects.get()
        seen.append((run.status, run.rows_checked, run.row_count, run.rows_posted))
        page = client.get(f"/admin/savings/checkoff/runs/{run.pk}/")
        seen.append(page.content)
        return post_rows(checkoff, rows, reason, posted_by)

    monkeypatch.setattr(checkoff_module, "_post_rows", watching)
    run = checkoff_run_start(
        content=csv_bytes("P001,500,1000,0", "P002,0,1000,0", "P003,0,1000,0"),
        file_name="oct.csv",
        period=LAST_MONTH,
        bank_account=bank_account_primary(),
        received_on=datetime.date.today(),
        created_by=clerk,
    )
    checkoff_run_task(str(run.pk))
    assert seen[0] == ("running", 3, 3, 0)
    assert b"Posting all 3 rows together" in seen[1] and b'http-equiv="refresh"' in seen[1]
    run.refresh_from_db()
    assert run.status == "posted" and run.rows_posted == 3


def test_a_queued_run_page_refreshes_and_says_so(client, clerk):
    run = CheckoffRun.objects.create(
        file_name="oct.csv",
        sha256="0" * 64,
        content=b"x",
        period=LAST_MONTH,
        bank_account=bank_account_primary(),
        received_on=datetime.date.today(),
        created_by=clerk,
        status="running",
        row_count=100_000,
        rows_checked=40_000,
    )
    page = client.get(f"/admin/savings/checkoff/runs/{run.pk}/")
    assert page.status_code == 200
    assert b"Checking rows: 40,000 of 100,000 (40 %)" in page.content
    assert b'<meta http-equiv="refresh" content="2">' in page.content


def test_the_same_file_twice_in_the_background_posts_once(
    client, clerk, background, payroll_members, django_capture_on_commit_callbacks
):
    content = csv_bytes("P001,500,1000,0", "P002,0,1000,0", "P003,0,1000,0")
    kwargs = {
        "content": content,
        "file_name": "oct.csv",
        "period": LAST_MONTH,
        "bank_account": bank_account_primary(),
        "received_on": datetime.date.today(),
        "created_by": clerk,
    }
    first = checkoff_run_start(**kwargs)
    second = checkoff_run_start(**{**kwargs, "file_name": "oct-again.csv"})
    checkoff_run_task(str(first.pk))
    checkoff_run_task(str(second.pk))
    checkoff_run_task(str(first.pk))  # a retried task: the run is finished, nothing happens
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == "posted"
    assert not first.already_posted and second.already_posted and second.rows_posted == 0
    assert second.checkoff == first.checkoff
    assert JournalEntry.objects.count() == 3 and CheckoffImport.objects.count() == 1
    # Confirming it once more through the admin: already posted, no new run.
    response = _preview_and_confirm(client, content, django_capture_on_commit_callbacks, name="oct-third.csv")
    assert response.status_code == 302 and str(first.checkoff.pk) in response.url
    assert CheckoffRun.objects.count() == 2 and JournalEntry.objects.count() == 3


def test_another_clerk_without_the_permission_cannot_see_a_run(client, staff_user, clerk):
    run = CheckoffRun.objects.create(
        file_name="oct.csv",
        sha256="0" * 64,
        period=LAST_MONTH,
        bank_account=bank_account_primary(),
        received_on=datetime.date.today(),
        created_by=clerk,
    )
    client.logout()
    sign_in_verified(client, staff_user(roles.AUDITORS))
    assert client.get(f"/admin/savings/checkoff/runs/{run.pk}/").status_code in (302, 403)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_another_connection_sees_the_progress_while_the_posting_transaction_is_open(make_member, monkeypatch):
    import psycopg
    from django.db import connection

    for i in range(1, 4):
        make_member(payroll_number=f"P{i:03d}")
    settings_dict = connection.settings_dict
    seen = []
    post_rows = checkoff_module._post_rows

    def watching(checkoff, rows, reason, posted_by):
        assert connection.in_atomic_block  # the posting transaction is open
        with psycopg.connect(
            dbname=settings_dict["NAME"],
            host=settings_dict["HOST"] or None,
            port=settings_dict["PORT"] or None,
            user=settings_dict["USER"] or None,
            password=settings_dict["PASSWORD"] or None,
        ) as other:
            seen.append(
                other.execute("SELECT status, rows_checked, row_count FROM contributions_checkoffrun").fetchone()
            )
        return post_rows(checkoff, rows, reason, posted_by)

    monkeypatch.setattr(checkoff_module, "_post_rows", watching)
    run = checkoff_run_start(
        content=csv_bytes("P001,500,1000,0", "P002,0,1000,0", "P003,0,1000,0"),
        file_name="oct.csv",
        period=LAST_MONTH,
        bank_account=bank_account_primary(),
        received_on=datetime.date.today(),
    )
    assert seen == [("running", 3, 3)]
    run.refresh_from_db()
    assert run.status == "posted" and run.rows_posted == 3 and JournalEntry.objects.count() == 3


@pytest.mark.postgres
def test_summaries_added_set_based_match_the_ledger(payroll_members, monkeypatch):
    from portal.contributions import services
    from portal.contributions.checkoff import checkoff_post
    from portal.contributions.models import MemberShareSummary

    monkeypatch.setattr(services, "SET_BASED_SUMMARIES_FROM", 0)  # the path of files above 1,000 members
    bank = bank_account_primary()
    checkoff_post(content=csv_bytes("P001,100,1000,0"), file_name="a.csv", period=LAST_MONTH, bank_account=bank)
    # P001's summary exists now (deltas added); P002 and P003 get theirs from the ledger.
    checkoff_post(
        content=csv_bytes("P001,200,1000,0", "P002,300,1200,0", "P003,0,1000,50", "P002,0,1000,0"),
        file_name="b.csv",
        period=LAST_MONTH,
        bank_account=bank,
    )
    for member in payroll_members:
        summary = MemberShareSummary.objects.get(member=member)
        assert summary.share_capital == account_balance(code="3000", member=member)
        assert summary.deposits == account_balance(code="2000", member=member)
    assert MemberShareSummary.objects.get(member=payroll_members[1]).deposits == D("2200.00")
    assert MemberShareSummary.objects.get(member=payroll_members[0]).share_capital == D("300.00")


def test_the_import_page_lists_runs_in_progress_and_recently_ended(client, clerk):
    def run(name, status, days_ago=0):
        made = CheckoffRun.objects.create(
            file_name=name,
            sha256=name[0] * 64,
            content=b"x",
            period=LAST_MONTH,
            bank_account=bank_account_primary(),
            received_on=datetime.date.today(),
            created_by=clerk,
            status=status,
            row_count=100_000,
            rows_checked=40_000,
        )
        CheckoffRun.objects.filter(pk=made.pk).update(created_at=made.created_at - datetime.timedelta(days=days_ago))
        return made

    running = run("running.csv", "running", days_ago=30)  # still running: listed however old
    failed = run("failed.csv", "failed", days_ago=1)
    run("old.csv", "posted", days_ago=30)  # ended long ago: not listed
    page = client.get("/admin/savings/checkoff/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="/admin/savings/checkoff/runs/{running.pk}/">running.csv</a>' in html
    assert "40,000 of 100,000" in html
    assert f'href="/admin/savings/checkoff/runs/{failed.pk}/">failed.csv</a>' in html
    assert "old.csv" not in html
