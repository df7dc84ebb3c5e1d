"""Issue 17: PostgreSQL still refuses, at commit, a journal entry that does not balance or has fewer than two lines —
checked once per transaction (finance 0016, 0023) rather than once per row, whether rows come by INSERT or COPY — and
the lean bulk posting path keeps the ledger's rules and content hashes."""

import uuid
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from portal.finance.bulk_insert import rows_insert
from portal.finance.ledger.models import Account, JournalEntry, JournalLine
from portal.finance.ledger.services import (
    BulkPosting,
    IdempotencyConflict,
    LedgerError,
    Line,
    ledger_post,
    ledger_post_bulk,
)

D = Decimal


def _entry(key):
    return {"id": uuid.uuid4(), "memo": "raw", "idempotency_key": key, "posted_at": timezone.now()}


def _line(entry, code, debit="0", credit="0"):
    return {
        "entry_id": entry["id"],
        "account_id": Account.objects.get(code=code).pk,
        "debit": D(debit),
        "credit": D(credit),
    }


def _pending_rows():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM finance_balance_pending")
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_copy_of_many_entries_with_one_unbalanced_is_refused_at_commit():
    entries = [_entry(f"bulk:{n}") for n in range(50)]
    lines = [line for e in entries for line in (_line(e, "1010", debit="10"), _line(e, "2000", credit="10"))]
    lines[61]["credit"] = D("9")  # entry 30 credits 9 against a debit of 10
    with pytest.raises(DatabaseError, match="not balanced"), transaction.atomic():
        rows_insert(JournalEntry, entries)
        rows_insert(JournalLine, lines)  # COPY: one statement
    assert not JournalEntry.objects.filter(idempotency_key__startswith="bulk:").exists()
    lines[61]["credit"] = D("10")
    with transaction.atomic():
        rows_insert(JournalEntry, entries)
        rows_insert(JournalLine, lines)
    assert JournalEntry.objects.filter(idempotency_key__startswith="bulk:").count() == 50
    assert _pending_rows() == 0  # the queue never outlives its transaction


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_entry_without_lines_and_a_line_added_later_are_refused(member):
    with pytest.raises(DatabaseError, match=r"not balanced \(debits 0, credits 0, 0 lines\)"), transaction.atomic():
        rows_insert(JournalEntry, [_entry("alone")])
    posted = ledger_post(
        memo="deposit", idempotency_key="k", lines=[Line("1010", debit=D("5")), Line("2000", credit=D("5"))]
    ).entry
    extra = {"id": posted.pk}
    with pytest.raises(DatabaseError, match="not balanced"), transaction.atomic():
        rows_insert(JournalLine, [_line(extra, "1010", debit="1")])
    assert JournalLine.objects.filter(entry=posted).count() == 2
    # Lines for one new entry in two statements balance by commit: checked then, as before.
    entry = _entry("two-steps")
    with transaction.atomic():
        rows_insert(JournalEntry, [entry])
        rows_insert(JournalLine, [_line(entry, "1010", debit="3")])
        rows_insert(JournalLine, [_line(entry, "2000", credit="3")])
    assert JournalEntry.objects.filter(idempotency_key="two-steps").exists()
    assert _pending_rows() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_check_at_commit_covers_every_statement_of_the_transaction():
    """finance 0023: the first check to fire takes every queued row of the transaction; an unbalanced entry written by
    a later statement is still refused, a check forced mid-transaction does not end the checking, and a savepoint
    rolled back takes its rows with it."""
    good = [_entry(f"stmt:{n}") for n in range(3)]
    bad = _entry("stmt:bad")
    with pytest.raises(DatabaseError, match=f"journal entry {bad['id']} is not balanced"), transaction.atomic():
        for entry in good:
            rows_insert(JournalEntry, [entry])
            rows_insert(JournalLine, [_line(entry, "1010", debit="4"), _line(entry, "2000", credit="4")])
        assert _pending_rows() == 6  # one queued row per statement
        rows_insert(JournalEntry, [bad])
        rows_insert(JournalLine, [_line(bad, "1010", debit="4"), _line(bad, "2000", credit="3")])
    assert not JournalEntry.objects.filter(idempotency_key__startswith="stmt:").exists()

    with pytest.raises(DatabaseError, match="not balanced"), transaction.atomic():
        rows_insert(JournalEntry, [good[0]])
        rows_insert(JournalLine, [_line(good[0], "1010", debit="4"), _line(good[0], "2000", credit="4")])
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # checks and takes the rows queued so far
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        assert _pending_rows() == 0
        rows_insert(JournalLine, [_line(good[0], "1010", debit="1")])  # unbalances it afterwards
    assert not JournalEntry.objects.filter(idempotency_key__startswith="stmt:").exists()

    with transaction.atomic():
        rows_insert(JournalEntry, [good[1]])
        rows_insert(JournalLine, [_line(good[1], "1010", debit="4"), _line(good[1], "2000", credit="4")])
        with pytest.raises(DatabaseError, match="not balanced"), transaction.atomic():  # a savepoint
            rows_insert(JournalEntry, [bad])
            rows_insert(JournalLine, [_line(bad, "1010", debit="4")])
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    assert list(JournalEntry.objects.filter(idempotency_key__startswith="stmt:").values_list("pk", flat=True)) == [
        good[1]["id"]
    ]
    assert _pending_rows() == 0


@pytest.mark.django_db
def test_bulk_posting_keeps_the_ledger_rules_and_the_content_hash(member):
    lines = (("1010", D("150.00"), D("0"), None, None, "in"), ("2000", D("0"), D("150.00"), member.pk, None, "dep"))
    [(entry_id, created)] = ledger_post_bulk(postings=[BulkPosting("bulk:1", "memo", lines)])
    entry = JournalEntry.objects.get(pk=entry_id)
    single = ledger_post(
        memo="same",
        idempotency_key="single:1",
        lines=[Line("1010", debit=D("150")), Line("2000", credit=D("150"), member_id=member.pk)],
    ).entry
    assert created and entry.content_hash == single.content_hash and entry.lines.count() == 2
    assert ledger_post_bulk(postings=[BulkPosting("bulk:1", "again", lines)]) == [(entry_id, False)]
    other = (lines[0], ("2000", D("0"), D("150.00"), None, None, "no member"))
    with pytest.raises(IdempotencyConflict):
        ledger_post_bulk(postings=[BulkPosting("bulk:1", "other", other)])
    for bad, message in (
        ((lines[0], ("2000", D("0"), D("149.99"), None, None, "")), "does not balance"),
        ((lines[0],), "at least two lines"),
        ((("1010", 150.0, D("0"), None, None, ""), lines[1]), "Decimal, not float"),
        ((("1010", D("150.001"), D("0"), None, None, ""), lines[1]), "more than two decimal places"),
        ((("9999", D("150"), D("0"), None, None, ""), lines[1]), "Unknown or inactive"),
    ):
        with pytest.raises(LedgerError, match=message):
            ledger_post_bulk(postings=[BulkPosting("bulk:2", "bad", bad)])
    assert not JournalEntry.objects.filter(idempotency_key="bulk:2").exists()
