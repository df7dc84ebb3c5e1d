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

from portal.society.ordered_ids import ordered_uuid

from .bulk_insert import ESCAPES, rows_insert
from .ledger.chain import ChainHead, chain_extend, chain_links, chain_lock
from .ledger.errors import LedgerError
from .ledger.hashing import lines_content_hash
from .ledger.models import Account, JournalEntry, JournalLine
from .periods.guard import period_guard

ZERO = Decimal("0.00")


ENTRY_COLUMNS = ("id", "date", "memo", "source", "idempotency_key", "content_hash", "posted_by_id", "posted_at")
LINE_COLUMNS = ("entry_id", "account_id", "debit", "credit", "member_id", "loan_id", "description", "date")
LINK_COLUMNS = ("sequence", "entry_id", "previous_hash", "hash", "linked_at")
NULL = "\\N"


class JournalRows:
    """Entries and lines waiting to be written; `flush()` writes them (inside the caller's transaction).

    On PostgreSQL the rows go by COPY in its text format, spelled here once per value. The database checks every
    entry the COPY wrote once per statement, at commit (migration 0016): an unbalanced entry still rolls the whole
    batch back, and nothing here sets that check aside."""

    def __init__(self, *, posted_by=None, accounts: dict[str, int] | None = None):
        """`accounts` ({code: pk}, from `journal_accounts()`) lets a worker thread build entries without a query."""
        self.accounts = journal_accounts() if accounts is None else accounts
        self.posted_by_id = posted_by.pk if posted_by is not None else None
        self.now = timezone.now()
        self.entries: list[tuple] = []
        self.lines: list[tuple] = []
        self.keys: set[str] = set()
        self.posted = 0
        self._text: tuple[str, str] | None = None
        self._links: tuple[ChainHead, str] | None = None

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
        entry_id = entry_id or ordered_uuid()
        digest = lines_content_hash((c, m, lo, d, cr) for c, d, cr, m, lo, _ in lines)
        self.entries.append((entry_id, date, memo[:255], source[:100], key, digest, self.posted_by_id, self.now))
        accounts = self.accounts
        for code, line_debit, line_credit, member_id, loan_id, description in lines:
            self.lines.append(
                (entry_id, accounts[code], line_debit, line_credit, member_id, loan_id, description[:255], date)
            )
        return entry_id

    def prepare(self, *, head: ChainHead | None = None) -> ChainHead | None:
        """Spell the COPY payloads of what is waiting (PostgreSQL's text format): pure Python, no query, so a
        worker can do it for the next batch while the database writes this one. `flush` does it otherwise.
        Text columns are escaped; ids, amounts and dates print as they are.

        With `head` — the chain's head this batch expects to follow (the previous batch's last link) — the chain
        links are spelled too, and the head after them is returned. `flush` writes those links only if the chain's
        head, read under its lock, is still `head`; if anything else posted in between it links afresh from the
        real head, so the chain is never wrong, only the work ahead wasted."""
        posted_by = NULL if self.posted_by_id is None else str(self.posted_by_id)
        now = str(self.now)
        entries = "".join(
            f"{i}\t{d}\t{memo.translate(ESCAPES)}\t{source.translate(ESCAPES)}\t{key.translate(ESCAPES)}\t{digest}"
            f"\t{posted_by}\t{now}\n"
            for i, d, memo, source, key, digest, _, _ in self.entries
        )
        lines = "".join(
            f"{e}\t{a}\t{dr}\t{cr}\t{NULL if m is None else m}\t{NULL if lo is None else lo}"
            f"\t{text.translate(ESCAPES)}\t{d}\n"
            for e, a, dr, cr, m, lo, text, d in self.lines
        )
        self._text = (entries, lines)
        if head is None:
            self._links = None
            return None
        links = chain_links(head, [dict(zip(ENTRY_COLUMNS, row, strict=True)) for row in self.entries])
        spelled = (
            f"{k['sequence']}\t{k['entry_id']}\t{k['previous_hash']}\t{k['hash']}\t{k['linked_at']}\n" for k in links
        )
        self._links = (head, "".join(spelled))
        if not links:
            return head
        return ChainHead(links[-1]["sequence"], links[-1]["hash"], links[-1]["linked_at"])

    def flush(self) -> int:
        """Write what is waiting; returns how many entries were written."""
        count = len(self.entries)
        period_guard(dates=[row[1] for row in self.entries])  # not into a closed month (issue 18)
        connection = connections[DEFAULT_DB_ALIAS]
        postgres = connection.vendor == "postgresql"
        with transaction.atomic():
            head = chain_lock() if self.entries else None  # the journal's hash chain (issue 18): see ledger.chain
            if postgres:
                self._copy(connection)
            else:
                rows_insert(JournalEntry, self._entry_dicts())
                rows_insert(JournalLine, [dict(zip(LINE_COLUMNS, row, strict=True)) for row in self.lines])
            if self.entries:
                self._chain(connection, head, spelled_ahead=postgres and self._links is not None)
        self.entries, self.lines = [], []
        self.keys.clear()
        self._text = self._links = None
        self.posted += count
        return count

    def _chain(self, connection, head: ChainHead | None, *, spelled_ahead: bool) -> None:
        """Link the entries just written: with the links `prepare` spelled if they follow the real head, else
        afresh from it."""
        if spelled_ahead and head == self._links[0]:
            with connection.cursor() as cursor:
                with cursor.cursor.copy(f"COPY finance_chainlink ({', '.join(LINK_COLUMNS)}) FROM STDIN") as copy:
                    copy.write(self._links[1])
            return
        chain_extend(head, self._entry_dicts())

    def _entry_dicts(self) -> list[dict]:
        return [dict(zip(ENTRY_COLUMNS, row, strict=True)) for row in self.entries]

    def _copy(self, connection) -> None:
        if self._text is None:
            self.prepare()
        with connection.cursor() as cursor:
            for table, columns, text in zip(
                ("finance_journalentry", "finance_journalline"), (ENTRY_COLUMNS, LINE_COLUMNS), self._text, strict=True
            ):
                with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    copy.write(text)


def journal_accounts() -> dict[str, int]:
    """{code: pk} of the active accounts, for `JournalRows(accounts=…)`."""
    return dict(Account.objects.filter(active=True).values_list("code", "pk"))
