"""JournalRows (portal/finance/journal_rows.py): the bulk path for history whose keys are new by construction —
balanced entries only, each key once, the content hash ledger_post would store; on PostgreSQL by COPY with one
the database's balance check (per statement, at commit) still refusing an unbalanced entry."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from portal.finance.journal_rows import JournalRows
from portal.finance.ledger.chain import chain_head, chain_problems
from portal.finance.ledger.models import JournalEntry, JournalLine
from portal.finance.ledger.services import LedgerError, Line, entry_content_hash, ledger_post

pytestmark = pytest.mark.django_db
Z = Decimal("0.00")
DAY = datetime.date(2024, 3, 25)


def _lines(amount="100.00"):
    amount = Decimal(amount)
    return [("1010", amount, Z, None, None, "Check-off\tmarch"), ("4000", Z, amount, None, None, "income")]


def test_balanced_entries_are_written_with_their_lines_dates_and_hash():
    journal = JournalRows()
    ids = [journal.add(key=f"t:{i}", date=DAY, memo="Check-off 2024-03", source="t", lines=_lines()) for i in range(3)]
    assert journal.flush() == 3
    entries = JournalEntry.objects.filter(pk__in=ids)
    assert entries.count() == 3
    for entry in entries:
        assert entry.content_hash == entry_content_hash(entry)  # what ledger_post would have stored
    assert set(JournalLine.objects.filter(entry__in=ids).values_list("date", flat=True)) == {DAY}
    assert JournalLine.objects.get(entry=ids[0], account__code="1010").description == "Check-off\tmarch"


def test_an_unbalanced_entry_or_a_key_twice_is_refused_before_anything_is_written():
    journal = JournalRows()
    with pytest.raises(LedgerError, match="balance"):
        journal.add(key="t:x", date=DAY, memo="m", source="t", lines=[("1010", Decimal("1.00"), Z, None, None, "")] * 2)
    journal.add(key="t:y", date=DAY, memo="m", source="t", lines=_lines())
    with pytest.raises(LedgerError, match="twice"):
        journal.add(key="t:y", date=DAY, memo="m", source="t", lines=_lines())


@pytest.mark.postgres
def test_on_postgresql_the_database_refuses_an_unbalanced_entry_the_copy_wrote():
    journal = JournalRows()
    journal.add(key="t:ok", date=DAY, memo="m", source="t", lines=_lines())
    bad = uuid.uuid4()  # slipped past add(): only the database's check stands between it and the books
    journal.entries.append((bad, DAY, "m", "t", "t:bad", "x", None, journal.now))
    journal.lines.append((bad, journal.accounts["1010"], Decimal("5.00"), Z, None, None, "", DAY))
    with pytest.raises(DatabaseError, match="not balanced"), transaction.atomic():
        journal.flush()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what commit does
    assert not JournalEntry.objects.filter(idempotency_key__in=["t:ok", "t:bad"]).exists()


@pytest.mark.postgres
def test_chain_links_spelled_ahead_are_written_when_the_head_is_still_theirs():
    head = chain_head()
    journal = JournalRows()
    for i in range(3):
        journal.add(key=f"t:ahead:{i}", date=DAY, memo="Check-off 2024-03", source="t", lines=_lines())
    after = journal.prepare(head=head)  # what a worker does for the next batch
    assert after.sequence == head.sequence + 3
    journal.flush()
    assert chain_head() == after
    assert chain_problems() == []


@pytest.mark.postgres
def test_links_spelled_from_a_head_that_moved_are_not_written_the_chain_links_afresh():
    head = chain_head()
    journal = JournalRows()
    for i in range(2):
        journal.add(key=f"t:stale:{i}", date=DAY, memo="Check-off 2024-03", source="t", lines=_lines())
    spelled = journal.prepare(head=head)
    ledger_post(  # someone else posts in between: the head the links were spelled from is gone
        memo="Another posting",
        lines=[Line("1010", debit=Decimal("5.00")), Line("4000", credit=Decimal("5.00"))],
        idempotency_key="t:between",
        date=DAY,
    )
    journal.flush()
    assert chain_head().sequence == head.sequence + 3 and chain_head() != spelled
    assert chain_problems() == []
