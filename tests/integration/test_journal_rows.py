"""JournalRows (portal/finance/journal_rows.py): the bulk path for history whose keys are new by construction —
balanced entries only, each key once, the content hash ledger_post would store; on PostgreSQL by COPY with one
the database's balance check (per statement, at commit) still refusing an unbalanced entry."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from portal.finance.journal_rows import JournalRows
from portal.finance.ledger.models import JournalEntry, JournalLine
from portal.finance.ledger.services import LedgerError, entry_content_hash

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
