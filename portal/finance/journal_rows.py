"""Balanced journal entries gathered in memory and written by the bulk path (demo and benchmark history at scale).

`ledger_post_many` is the service for money that arrives: it validates every line, looks up every key already in
the journal and compares content, then writes through `bulk_insert.rows_insert` (COPY on PostgreSQL). A generator
of years of history for members it has just created knows that none of its keys can exist yet, and builds lines
that balance by construction: `JournalRows` keeps the rules that matter for the books — every entry balanced
(checked here, and again by the database's deferred trigger at commit on PostgreSQL), two lines at least, each key
once, the content hash `ledger_post` would store, each line dated like its entry — and skips the per-key lookups,
so millions of entries cost what writing them costs. Only for keys that are new by construction."""

import datetime
import uuid
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from .bulk_insert import rows_insert
from .ledger.models import Account, JournalEntry, JournalLine
from .ledger.services import LedgerError, lines_content_hash

ZERO = Decimal("0.00")


class JournalRows:
    """Entries and lines waiting to be written; `flush()` writes them (inside the caller's transaction)."""

    def __init__(self, *, posted_by=None):
        self.accounts = dict(Account.objects.filter(active=True).values_list("code", "pk"))
        self.posted_by_id = posted_by.pk if posted_by is not None else None
        self.now = timezone.now()
        self.entries: list[dict] = []
        self.lines: list[dict] = []
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
        debit = sum((line[1] for line in lines), ZERO)
        credit = sum((line[2] for line in lines), ZERO)
        if len(lines) < 2 or debit != credit or debit <= 0:
            raise LedgerError(f"{key}: debits {debit} and credits {credit} do not balance.")
        if key in self.keys:
            raise LedgerError(f"{key}: the same key twice.")
        self.keys.add(key)
        entry_id = entry_id or uuid.uuid4()
        self.entries.append(
            {
                "id": entry_id,
                "date": date,
                "memo": memo[:255],
                "source": source[:100],
                "idempotency_key": key,
                "content_hash": lines_content_hash((c, m, lo, d, cr) for c, d, cr, m, lo, _ in lines),
                "posted_by_id": self.posted_by_id,
                "posted_at": self.now,
            }
        )
        accounts = self.accounts
        for code, line_debit, line_credit, member_id, loan_id, description in lines:
            self.lines.append(
                {
                    "entry_id": entry_id,
                    "account_id": accounts[code],
                    "debit": line_debit,
                    "credit": line_credit,
                    "member_id": member_id,
                    "loan_id": loan_id,
                    "description": description[:255],
                    "date": date,
                }
            )
        return entry_id

    def flush(self) -> int:
        """Write what is waiting; returns how many entries were written."""
        count = len(self.entries)
        with transaction.atomic():
            rows_insert(JournalEntry, self.entries, batch_size=5000)
            rows_insert(JournalLine, self.lines, batch_size=5000)
        self.entries, self.lines = [], []
        self.keys.clear()
        self.posted += count
        return count
