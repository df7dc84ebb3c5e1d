"""TRUNCATE of the journal and of the audit log is refused on PostgreSQL (statement-level BEFORE TRUNCATE triggers;
row triggers never see a TRUNCATE), except in the test runner's own flush, which says so first (issue 12)."""

import pytest
from django.db import DatabaseError, connection, transaction

from portal.finance.ledger.models import JournalEntry
from portal.finance.ledger.services import Line, ledger_post

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("finance_journalline", "posted journal rows are immutable"),
        ("finance_journalentry", "posted journal rows are immutable"),
        ("wagtailcore_modellogentry", "the audit trail is append-only"),
        ("wagtailcore_pagelogentry", "the audit trail is append-only"),
    ],
)
def test_truncate_is_refused(table, message, member):
    ledger_post(
        memo="x",
        idempotency_key="truncate-guard",
        lines=[Line("1010", debit=100), Line("2000", credit=100, member_id=member.pk)],
    )
    with connection.cursor() as cursor:  # run the deferred balance checks now: TRUNCATE refuses pending trigger events
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # CASCADE, so that no foreign key stops it first: only the trigger can refuse.
    with pytest.raises(DatabaseError, match=message), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table} CASCADE")
    assert JournalEntry.objects.filter(idempotency_key="truncate-guard").exists()


def test_a_session_that_says_so_may_truncate_as_the_test_flush_does():
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL portal.allow_truncate = 'on'")
        cursor.execute("TRUNCATE wagtailcore_pagelogentry")
        transaction.set_rollback(True)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE wagtailcore_pagelogentry")  # LOCAL: gone with that transaction
