"""Balanced journal entries gathered in memory and written by the bulk path (demo and benchmark history at scale).

`ledger_post_many` is the service for money that arrives: it validates every line, looks up every key already in
the journal and compares content, then writes through `bulk_insert.rows_insert` (COPY on PostgreSQL). A generator
of years of history for members it has just created knows that none of its keys can exist yet, and builds lines
that balance by construction: `JournalRows` keeps the rules that matter for the books — every entry balanced
(checked here, and again at commit by the database's per-statement check on PostgreSQL, migration 0016), two lines
at least, each key once, the content hash `ledger_post` would store, each line dated like its entry, each entry
linked into the journal's hash chain (ledger.chain) — and skips the per-key lookups, so millions of entries cost
what writing them costs. Only for keys that are new by construction."""

import datetime
import uuid
from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from .bulk_insert import rows_insert
from .ledger.chain import chain_extend, chain_lock
from .ledger.errors import LedgerError
from .ledger.hashing import lines_content_hash
from .ledger.models import Account, JournalEntry, JournalLine
from .periods.guard import period_guard

ZERO = Decimal("0.00")


ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
ENTRY_COLUMNS = ("id", "date", "memo", "source", "idempotency_key", "content_hash", "posted_by_id", "posted_at")
LINE_COLUMNS = ("entry_id", "account_id", "debit", "credit", "member_id", "loan_id", "description", "date")


def _text(value) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    return str(value).translate(ESCAPES)


class JournalRows:
    """Entries and lines waiting to be written; `flush()` writes them (inside the caller's transaction).

    On PostgreSQL the rows go by COPY in its text format, spelled here once per value. The database checks every
    entry the COPY wrote once per statement, at commit (migration 0016): an unbalanced entry still rolls the whole
    batch back, and nothing here sets that check aside."""

    def __init__(self, *, posted_by=None):
        self.accounts = dict(Account.objects.filter(active=True).values_list("code", "pk"))
        self.posted_by_id = posted_by.pk if posted_by is not None else None
        self.now = timezone.now()
        self.entries: list[tuple] = []
        self.lines: list[tuple] = []
        self.keys: set[str] = set()
        self.posted = 0

    def add(
        self,
        *,
        key: str,
        date: datetime.date,
        memo: str,
        source: str,
        lines: list[tuple],
        entry_id: uuid.UUID | None = None,
    ) -> uuid.UUID:
        """One entry. `lines`: (account code, debit, credit, member id, loan id, description). Returns its id."""
        debit = credit = ZERO
        for line in lines:
            debit += line[1]
            credit += line[2]
        if len(lines) < 2 or debit != credit or debit <= 0:
            raise LedgerError(f"{key}: debits {debit} and credits {credit} do not balance.")
        if key in self.keys:
            raise LedgerError(f"{key}: the same key twice.")
        self.keys.add(key)
        entry_id = entry_id or uuid.uuid4()
        digest = lines_content_hash((c, m, lo, d, cr) for c, d, cr, m, lo, _ in lines)
        self.entries.append((entry_id, date, memo[:255], source[:100], key, digest, self.posted_by_id, self.now))
        accounts = self.accounts
        for code, line_debit, line_credit, member_id, loan_id, description in lines:
            self.lines.append(
                (entry_id, accounts[code], line_debit, line_credit, member_id, loan_id, description[:255], date)
            )
        return entry_id

    def flush(self) -> int:
        """Write what is waiting; returns how many entries were written."""
        count = len(self.entries)
        period_guard(dates=[row[1] for row in self.entries])  # not into a closed month (issue 18)
        connection = connections[DEFAULT_DB_ALIAS]
        entries = [dict(zip(ENTRY_COLUMNS, row, strict=True)) for row in self.entries]
        with transaction.atomic():
            head = chain_lock() if entries else None  # the journal's hash chain (issue 18): see ledger.chain
            if connection.vendor == "postgresql":
                self._copy(connection)
            else:
                rows_insert(JournalEntry, entries)
                rows_insert(JournalLine, [dict(zip(LINE_COLUMNS, row, strict=True)) for row in self.lines])
            chain_extend(head, entries)
        self.entries, self.lines = [], []
        self.keys.clear()
        self.posted += count
        return count

    def _copy(self, connection) -> None:
        with connection.cursor() as cursor:
            for table, columns, rows in (
                ("finance_journalentry", ENTRY_COLUMNS, self.entries),
                ("finance_journalline", LINE_COLUMNS, self.lines),
            ):
                with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for start in range(0, len(rows), 5000):
                        block = rows[start : start + 5000]
                        copy.write("".join("\t".join(map(_text, row)) + "\n" for row in block))
