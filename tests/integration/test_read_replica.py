"""Reports and exports read from a real PostgreSQL streaming replica; writes, and reads that lead to writes, stay on
the primary (issue 17).

CI starts the replica with bin/ci-replica-start (port 5433) and sets DATABASE_REPLICA_URL and REQUIRE_REPLICA=1 for
its PostgreSQL run; elsewhere these tests skip, saying why. Rows written inside a rolled-back test transaction never
reach a replica, so these tests commit (transaction=True) and wait, bounded, until the replica has replayed the
primary's WAL. To prove where a read went, replay is paused on the replica: a row committed on the primary after
that is seen by a read on the primary and not by a read from the replica — until replay resumes.

The first two tests need no replica and always run."""

import datetime
import io
import os
import time
from contextlib import contextmanager
from csv import reader
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.db import connections, transaction
from django.db.utils import InternalError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal import health
from portal.finance.ledger.models import Account, AccountType, JournalEntry
from portal.finance.ledger.services import Line, ledger_post
from portal.members import roles
from portal.members.models import Member
from portal.reports.financial import financial_statements
from portal.reports.models import Report, ReportStatus
from portal.reports.saved_reports import report_run
from portal.society.replica import ROUTER, PrimaryReplicaRouter, reads_from_replica
from tests.conftest import sign_in_verified

HAS_REPLICA = "replica" in django_settings.DATABASES
REQUIRED = os.environ.get("REQUIRE_REPLICA") == "1"
REPLAY_TIMEOUT = 10  # seconds; replay on this machine takes well under one
D = Decimal
DAY = datetime.date(2026, 3, 2)

real_replica = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not HAS_REPLICA and not REQUIRED,
        reason="needs a streaming replica: run bin/ci-replica-start and set "
        "DATABASE_REPLICA_URL=postgres://postgres@127.0.0.1:5433/postgres",
    ),
    pytest.mark.django_db(
        transaction=True, serialized_rollback=True, databases=["default", "replica"] if HAS_REPLICA else ["default"]
    ),
]


# --- Without a replica ------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # (a test transaction would be one itself)
def test_reads_inside_a_transaction_on_the_primary_stay_there():
    """A read inside atomic() is part of a read-then-write, and rows the transaction wrote are not on a replica."""
    router = PrimaryReplicaRouter()
    with reads_from_replica():
        assert router.db_for_read(Member) == "replica"
        with transaction.atomic():
            assert router.db_for_read(Member) == "default"


@pytest.mark.django_db
def test_readyz_names_a_failed_replica_but_stays_ready(client, monkeypatch):
    """Members' pages, payments and sign-in need only the primary: a lost replica is reported, not a 503."""

    def replica_down():
        raise OSError("connection refused")

    monkeypatch.setattr("portal.health.replica_in_use", lambda: True)
    monkeypatch.setitem(health.OPTIONAL_CHECKS, "replica", replica_down)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "queue": "ok", "replica": "failed"},
        "degraded": ["replica"],
    }


# --- Against the real replica -----------------------------------------------------------------------------------


def _scalar(alias: str, sql: str, params=()):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def replica_caught_up() -> float:
    """Wait until the replica has replayed everything the primary has written so far; returns the seconds taken.
    The *insert* position: with synchronous_commit off (the test settings, CI's server) a commit's record may still
    be in the WAL buffers, beyond the write position, until the WAL writer flushes it (a few hundred ms at most)."""
    target = _scalar("default", "SELECT pg_current_wal_insert_lsn()::text")
    started = time.monotonic()
    while not _scalar("replica", "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]):
        if time.monotonic() - started > REPLAY_TIMEOUT:
            pytest.fail(f"the replica did not replay up to {target} within {REPLAY_TIMEOUT} s")
        time.sleep(0.02)
    return time.monotonic() - started


@contextmanager
def replay_paused():
    """Replay stopped on the replica (it stays readable, frozen at what it had); always resumed afterwards."""
    replica_caught_up()
    _scalar("replica", "SELECT pg_wal_replay_pause()::text")
    try:
        started = time.monotonic()
        while _scalar("replica", "SELECT pg_get_wal_replay_pause_state()") != "paused":
            assert time.monotonic() - started < REPLAY_TIMEOUT, "replay did not pause"
            time.sleep(0.02)
        yield
    finally:
        _scalar("replica", "SELECT pg_wal_replay_resume()::text")


@pytest.fixture
def replica(settings):
    """The replica router switched on (the test settings leave it off for every other test)."""
    if not HAS_REPLICA:
        pytest.fail("REQUIRE_REPLICA=1 but DATABASE_REPLICA_URL is not set (bin/ci-replica-start starts a replica)")
    settings.DATABASE_ROUTERS = [ROUTER]
    yield
    connections["replica"].close()


def _post(key: str, amount: str) -> None:
    ledger_post(
        memo=key,
        lines=[Line("1010", debit=D(amount)), Line("4000", credit=D(amount))],
        idempotency_key=key,
        date=DAY,
        source="test",
    )


def _income() -> str:
    return financial_statements(start=DAY, end=DAY)["income_statement"]["total_income"]


def _real(test):
    """The marks of a test against the real replica, and the router switched on."""
    for mark in reversed(real_replica):
        test = mark(test)
    return pytest.mark.usefixtures("replica")(test)


@_real
def test_the_replica_is_a_read_only_streaming_copy_of_the_test_database():
    primary, copy = connections["default"].settings_dict, connections["replica"].settings_dict
    assert copy["NAME"] == primary["NAME"]  # the test database, on the replica's port
    assert (copy["HOST"], copy["PORT"]) != (primary["HOST"], primary["PORT"])
    assert _scalar("replica", "SELECT pg_is_in_recovery()") is True
    assert _scalar("default", "SELECT pg_is_in_recovery()") is False
    with pytest.raises(InternalError, match="read-only transaction"):
        _scalar("replica", "CREATE TABLE nope (id int)")
    Account.objects.create(code="9990", name="Replicated", type=AccountType.INCOME)
    print(f"replayed a commit in {replica_caught_up() * 1000:.0f} ms")
    assert Account.objects.using("replica").filter(code="9990").exists()


@_real
def test_a_report_in_the_opt_in_reads_the_replica_and_sees_a_posting_only_once_replayed():
    _post("before", "100")
    with replay_paused():
        _post("during", "23")  # committed on the primary; the paused replica has not seen it
        with reads_from_replica():
            assert _income() == "100.00"
        assert _income() == "123.00"  # outside the opt-in: the primary
    replica_caught_up()
    with reads_from_replica():
        assert _income() == "123.00"


@_real
def test_writes_and_reads_that_lead_to_writes_stay_on_the_primary_inside_the_opt_in(member):
    replica_caught_up()
    with reads_from_replica():
        with CaptureQueriesContext(connections["replica"]) as reading:
            assert Account.objects.filter(code="1010").exists()
        assert len(reading.captured_queries) == 1  # a plain read in the block: the replica
        with CaptureQueriesContext(connections["replica"]) as on_replica:
            # A posting: its idempotency check and account lookup (reads that decide its writes), then its inserts
            # in a transaction. On the read-only replica any write would fail.
            _post("in-opt-in", "50")
            with transaction.atomic():
                locked = Member.objects.select_for_update().get(pk=member.pk)
                Member.objects.filter(pk=locked.pk).update(employer="Locked and changed")
                assert Member.objects.get(pk=member.pk).employer == "Locked and changed"
            Account.objects.get_or_create(code="9991", defaults={"name": "Got or made", "type": AccountType.INCOME})
            # Saving a snippet model makes Wagtail reload it for its reference index (a task run at once here):
            # the block has written, so that read, and this one, go to the primary and find the new row.
            Account.objects.create(code="9990", name="Made inside the opt-in", type=AccountType.INCOME)
            assert Account.objects.get(code="9990").name == "Made inside the opt-in"
        assert on_replica.captured_queries == []
    assert JournalEntry.objects.filter(idempotency_key="in-opt-in").exists()
    assert Account.objects.filter(code__in=["9990", "9991"]).count() == 2


@_real
def test_a_saved_report_run_is_built_from_the_replica_and_recorded_on_the_primary(staff_user):
    admin = staff_user(roles.ADMINISTRATORS)
    _post("before", "100")
    with replay_paused():
        _post("during", "23")
        run = report_run(
            report_type="financial_statements",
            by=admin,
            period="custom",
            start_date=DAY,
            end_date=DAY,
            output_format="csv",
        )
        assert run.status == ReportStatus.DONE
        assert Report.objects.using("default").filter(pk=run.pk).exists()  # the run: on the primary
        with run.file.open("rb") as file:
            content = file.read().decode("utf-8-sig")
    assert "100.00" in content and "123.00" not in content  # the figures: from the replica, before "during"


@_real
def test_an_admin_list_download_reads_the_replica_and_the_page_the_primary(client, make_user):
    superuser = make_user("root@sacco.example", role=roles.ADMINISTRATORS, is_superuser=True)
    sign_in_verified(client, superuser)
    url = reverse(Account.snippet_viewset.get_url_name("list"))
    with replay_paused():
        Account.objects.create(code="9990", name="Opened while replay was paused", type=AccountType.INCOME)
        page = client.get(url + "?q=9990")
        download = client.get(url + "?export=csv")
        codes = [row[0] for row in reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig")))]
    assert "Opened while replay was paused" in page.content.decode()  # the list page: the primary
    assert "1010" in codes and "9990" not in codes  # the download: the replica, frozen before the account
    replica_caught_up()
    download = client.get(url + "?export=csv")
    assert "9990" in [row[0] for row in reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig")))]


@_real
def test_a_report_page_download_reads_the_replica_and_the_page_the_primary(client, make_user):
    """The trial balance (a page of `society.tabular` downloads, `downloads_from_replica`)."""
    superuser = make_user("root@sacco.example", role=roles.ADMINISTRATORS, is_superuser=True)
    sign_in_verified(client, superuser)
    _post("before", "100")
    with replay_paused():
        _post("during", "23")
        page = client.get(reverse("finance_trial_balance"))
        download = client.get(reverse("finance_trial_balance") + "?export=csv")
    rows = {row[0]: row for row in reader(io.StringIO(download.content.decode("utf-8-sig"))) if row}
    assert rows["4000"][4] == "100.00"  # the download: the replica, before "during"
    assert "123.00" in page.content.decode()  # the page: the primary


@_real
def test_readyz_checks_the_real_replica(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "queue": "ok", "replica": "ok"},
        "degraded": [],
    }
