"""Posting: the only way money moves. Every event is one balanced JournalEntry with a unique idempotency key;
corrections are reversals.

An idempotency key carries a hash of its content (`JournalEntry.content_hash`, see `lines_content_hash`): posting
a key again with the same content returns the entry already posted (created=False); with different content it
raises `IdempotencyConflict`, so a typed reference used twice for two different things is never silently
"already posted"."""

import datetime
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.utils import timezone

from portal.finance.bulk_insert import instance_row, rows_insert
from portal.finance.periods.guard import PeriodClosed, period_guard  # noqa: F401 (PeriodClosed: a LedgerError too)
from portal.society.figures_cache import member_figures_invalidate
from portal.society.money import CENT
from portal.society.ordered_ids import ordered_uuid
from portal.society.replica import reads_from_primary

from .chain import chain_extend, chain_lock
from .errors import LedgerError
from .hashing import id_text, lines_content_hash
from .models import Account, JournalEntry, JournalLine


class IdempotencyConflict(LedgerError):
    """The idempotency key was already posted with different content (other accounts, amounts, member or loan).
    Nothing was posted. `idempotency_key` names the key; callers whose key comes from a typed reference (a receipt or
    slip number) turn this into a form error naming that reference."""

    def __init__(self, *, idempotency_key: str, entry: JournalEntry):
        self.idempotency_key = idempotency_key
        self.entry = entry
        super().__init__(
            f"The reference {idempotency_key!r} was already used for a different posting "
            f"({entry.date.isoformat()}: {entry.memo}); nothing was posted."
        )


@dataclass(frozen=True)
class Line:
    """One side of a posting. Give exactly one of debit or credit, positive, in cents."""

    account: str  # account code, e.g. "2000"
    debit: Decimal = Decimal("0")
    credit: Decimal = Decimal("0")
    member_id: object = None
    description: str = ""
    loan_id: object = None


@dataclass(frozen=True)
class PostResult:
    entry: JournalEntry
    created: bool  # False when the idempotency key had already been posted


def _check_amount(value: Decimal, where: str) -> Decimal:
    if isinstance(value, float):
        raise LedgerError(f"{where}: amounts must be Decimal, not float.")
    value = Decimal(value)
    if not value.is_finite() or value < 0:
        raise LedgerError(f"{where}: the amount must be a positive number.")
    if value != value.quantize(CENT):
        raise LedgerError(f"{where}: the amount {value} has more than two decimal places.")
    return value.quantize(CENT)


def _validated_lines(lines: list[Line]) -> list[tuple[Line, Decimal, Decimal]]:
    if len(lines) < 2:
        raise LedgerError("An entry needs at least two lines.")
    checked = []
    for number, line in enumerate(lines, start=1):
        debit = _check_amount(line.debit, f"line {number} ({line.account}) debit")
        credit = _check_amount(line.credit, f"line {number} ({line.account}) credit")
        if (debit > 0) == (credit > 0):
            raise LedgerError(f"line {number} ({line.account}): give either a debit or a credit, not both or neither.")
        checked.append((line, debit, credit))
    total_debit = sum((d for _, d, _ in checked), Decimal("0"))
    total_credit = sum((c for _, _, c in checked), Decimal("0"))
    if total_debit != total_credit:
        raise LedgerError(f"The entry does not balance: debits {total_debit}, credits {total_credit}.")
    return checked


def _checked_hash(checked: list[tuple[Line, Decimal, Decimal]]) -> str:
    return lines_content_hash((line.account, line.member_id, line.loan_id, d, c) for line, d, c in checked)


def entry_content_hash(entry: JournalEntry) -> str:
    """The stored hash, or (for an entry posted before hashes were kept and not yet backfilled) one computed
    from its lines."""
    if entry.content_hash:
        return entry.content_hash
    return lines_content_hash(entry.lines.values_list("account__code", "member_id", "loan_id", "debit", "credit"))


def _same_or_conflict(existing: JournalEntry, digest: str, *, compare_content: bool) -> PostResult:
    if compare_content and entry_content_hash(existing) != digest:
        raise IdempotencyConflict(idempotency_key=existing.idempotency_key, entry=existing)
    return PostResult(existing, False)


def ledger_post(
    *,
    memo: str,
    lines: list[Line],
    idempotency_key: str,
    posted_by=None,
    date: datetime.date | None = None,
    source: str = "",
    compare_content: bool = True,
) -> PostResult:
    """Post one balanced entry, once. The same key again with the same content returns the entry already posted
    (created=False); with different content it raises IdempotencyConflict.

    `compare_content=False` is for scheduled jobs whose key names a period rather than an amount — the month's
    penalty on an instalment, the day's provision movement — where the first run's figure stands and a later
    run's different figure is not a second posting. Keys built from a reference a person or client typed must
    keep the comparison."""
    return _post(
        memo=memo,
        lines=lines,
        idempotency_key=idempotency_key,
        posted_by=posted_by,
        date=date,
        source=source,
        reversal_of=None,
        compare_content=compare_content,
    )


@reads_from_primary()  # its reads (the key posted? the accounts active?) decide its writes: never from a replica
def _post(*, memo, lines, idempotency_key, posted_by, date, source, reversal_of, compare_content=True) -> PostResult:
    if not idempotency_key:
        raise LedgerError("An idempotency key is required.")
    checked = _validated_lines(lines)
    digest = _checked_hash(checked)
    existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _same_or_conflict(existing, digest, compare_content=compare_content)
    codes = {line.account for line, _, _ in checked}
    accounts = {a.code: a for a in Account.objects.filter(code__in=codes, active=True)}
    missing = sorted(codes - set(accounts))
    if missing:
        raise LedgerError(f"Unknown or inactive account(s): {', '.join(missing)}.")
    date = date or timezone.localdate()
    period_guard(dates=[date])  # not into a closed month (issue 18)
    try:
        with transaction.atomic():
            head = chain_lock()  # the journal's hash chain (issue 18): see ledger.chain
            entry = JournalEntry.objects.create(
                date=date,
                memo=memo[:255],
                source=source[:100],
                idempotency_key=idempotency_key,
                content_hash=digest,
                posted_by=posted_by,
                reversal_of=reversal_of,
            )
            JournalLine.objects.bulk_create(
                [
                    JournalLine(
                        entry=entry,
                        account=accounts[line.account],
                        debit=debit,
                        credit=credit,
                        member_id=line.member_id,
                        loan_id=line.loan_id,
                        description=line.description[:255],
                        date=entry.date,
                    )
                    for line, debit, credit in checked
                ]
            )
            chain_extend(head, [instance_row(entry)])
            # The members' (and the loans') dashboard figures are forgotten once this commits (issue 17).
            member_figures_invalidate(
                member_ids=[line.member_id for line, _, _ in checked],
                loan_ids=[line.loan_id for line, _, _ in checked],
            )
    except IntegrityError:
        # Another transaction posted the same key first (the savepoint above is rolled back): that posting stands,
        # if it is the same one.
        existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _same_or_conflict(existing, digest, compare_content=compare_content)
    return PostResult(entry, True)


def ledger_reverse(
    *,
    entry: JournalEntry,
    posted_by=None,
    memo: str = "",
    date: datetime.date | None = None,
    description: str = "",
) -> PostResult:
    """Post the mirror image of an entry (sides swapped). Each entry can be reversed once; a reversal itself
    is corrected by posting the right entry again, not by reversing the reversal.

    `description`, when given, replaces the lines' own descriptions (a member statement shows a line's description:
    "Principal repaid" on a line that adds the principal back would mislead)."""
    if entry.reversal_of_id is not None:
        raise LedgerError("This entry is itself a reversal; post the correct entry instead of reversing it.")
    key = f"reversal:{entry.pk}"
    lines = [
        Line(
            account=line.account.code,
            debit=line.credit,
            credit=line.debit,
            member_id=line.member_id,
            loan_id=line.loan_id,
            description=description or line.description,
        )
        for line in entry.lines.select_related("account")
    ]
    return _post(
        memo=memo or f"Reversal of: {entry.memo}",
        lines=lines,
        idempotency_key=key,
        posted_by=posted_by,
        date=date,
        source=f"reversal of {entry.pk}",
        reversal_of=entry,
    )


@dataclass(frozen=True)
class Posting:
    """One entry to post in bulk with `ledger_post_many`."""

    memo: str
    lines: list[Line]
    idempotency_key: str
    date: datetime.date | None = None
    source: str = ""


@reads_from_primary()
def ledger_post_many(
    *, postings: list[Posting], posted_by=None, chunk_size: int = 2000, compare_content: bool = True
) -> list[PostResult]:
    """Post many entries in a few queries (check-off files, batches, demo history), with the same rules as
    `ledger_post`: each balanced, each key once. Runs in one transaction: any bad posting posts nothing.
    Keys already in the journal with the same content are returned as created=False and not posted again; a key
    already posted with different content raises IdempotencyConflict (nothing posted). `compare_content`: see
    `ledger_post`.

    Concurrency: two transactions posting the same new key both find it absent; the second one's insert then
    fails on the unique key (on PostgreSQL, once the first commits). The insert runs in a savepoint, so that
    failure is rolled back alone: the keys are read again and the posting goes on with what is now there, as if
    it had been there from the start (the first posting stands, the retry answers "already posted")."""
    keys = [p.idempotency_key for p in postings]
    if any(not key for key in keys):
        raise LedgerError("An idempotency key is required.")
    if len(set(keys)) != len(keys):
        raise LedgerError("The same idempotency key appears twice in one bulk posting.")
    checked = [_validated_lines(p.lines) for p in postings]
    digests = [_checked_hash(lines) for lines in checked]
    codes = {line.account for lines in checked for line, _, _ in lines}
    accounts = {a.code: a for a in Account.objects.filter(code__in=codes, active=True)}
    missing = sorted(codes - set(accounts))
    if missing:
        raise LedgerError(f"Unknown or inactive account(s): {', '.join(missing)}.")
    attempts = 3
    for attempt in range(attempts):
        existing: dict[str, JournalEntry] = {}
        for start in range(0, len(keys), chunk_size):
            for entry in JournalEntry.objects.filter(idempotency_key__in=keys[start : start + chunk_size]):
                existing[entry.idempotency_key] = entry
        results, new_entries, new_lines = _bulk_plan(
            postings, checked, digests, existing, accounts, posted_by=posted_by, compare_content=compare_content
        )
        period_guard(dates=[e.date for e in new_entries])  # not into a closed month (issue 18)
        try:
            # rows_insert writes through the driver's own COPY on PostgreSQL, whose errors Django has not wrapped:
            # wrap them, so a unique violation is Django's IntegrityError on every backend.
            with transaction.atomic(), connections[DEFAULT_DB_ALIAS].wrap_database_errors:
                head = chain_lock() if new_entries else None
                entry_rows = [instance_row(e) for e in new_entries]
                rows_insert(JournalEntry, entry_rows, batch_size=chunk_size)
                rows_insert(JournalLine, new_lines, batch_size=chunk_size)
                chain_extend(head, entry_rows)
                # One cache call for the whole batch, after the commit (issue 17).
                member_figures_invalidate(
                    member_ids=[row["member_id"] for row in new_lines], loan_ids=[row["loan_id"] for row in new_lines]
                )
        except IntegrityError:
            new_keys = [e.idempotency_key for e in new_entries]
            raced = any(
                JournalEntry.objects.filter(idempotency_key__in=new_keys[start : start + chunk_size]).exists()
                for start in range(0, len(new_keys), chunk_size)
            )
            if not raced or attempt == attempts - 1:
                raise  # not a key posted meanwhile: a real integrity problem
            continue
        break
    for entry in new_entries:
        entry._state.adding = False
        entry._state.db = "default"
    return results


def _bulk_plan(postings, checked, digests, existing, accounts, *, posted_by, compare_content):
    """The results and the rows to insert, given the keys already in the journal."""
    today = timezone.localdate()
    now = timezone.now()
    results: list[PostResult] = []
    new_entries: list[JournalEntry] = []
    new_lines: list[dict] = []
    for posting, lines, digest in zip(postings, checked, digests, strict=True):
        if posting.idempotency_key in existing:
            before = existing[posting.idempotency_key]
            results.append(_same_or_conflict(before, digest, compare_content=compare_content))
            continue
        entry = JournalEntry(
            date=posting.date or today,
            memo=posting.memo[:255],
            source=posting.source[:100],
            idempotency_key=posting.idempotency_key,
            content_hash=digest,
            posted_by=posted_by,
            posted_at=now,
        )
        new_entries.append(entry)
        new_lines.extend(
            {
                "entry_id": entry.pk,
                "account_id": accounts[line.account].pk,
                "debit": debit,
                "credit": credit,
                "member_id": line.member_id,
                "loan_id": line.loan_id,
                "description": line.description[:255],
                "date": entry.date,
            }
            for line, debit, credit in lines
        )
        results.append(PostResult(entry, True))
    return results, new_entries, new_lines


class BulkPosting(NamedTuple):
    """One entry for `ledger_post_bulk`: lines as plain tuples (account code, debit, credit, member id, loan id,
    description), each with exactly one positive side."""

    idempotency_key: str
    memo: str
    lines: tuple
    date: datetime.date | None = None
    source: str = ""


def ledger_post_bulk(*, postings: list[BulkPosting], posted_by=None, chunk_size: int = 20000) -> list[tuple]:
    """`ledger_post_many` for files of 100,000 entries (issue 17): the same rules — every entry balanced with at
    least two lines, amounts Decimal, positive, in cents, each key posted once (the same content again: not posted,
    created False; other content: IdempotencyConflict), one transaction — and the same content hash, but without a
    Line, Posting, JournalEntry or PostResult object per line or entry: each distinct amount is checked and
    formatted once (a payroll file repeats a few amounts), the rows go straight to COPY. Returns (entry id,
    created) per posting, in order. The database checks the balance again at commit (finance 0016)."""
    keys = [p.idempotency_key for p in postings]
    if any(not key for key in keys):
        raise LedgerError("An idempotency key is required.")
    if len(set(keys)) != len(keys):
        raise LedgerError("The same idempotency key appears twice in one bulk posting.")
    amounts: dict = {}  # Decimal -> (the amount in cents, its text), for amounts already checked

    def cents(value, where) -> tuple:
        if type(value) is Decimal:  # not a float, which would hash like an equal Decimal
            known = amounts.get(value)
            if known is not None:
                return known
        checked = _check_amount(value, where)
        known = (checked, f"{checked:.2f}")
        if type(value) is Decimal:
            amounts[value] = known
        return known

    codes: set[str] = set()
    planned = []  # (posting, [(code, (debit, text), (credit, text), member, loan, description)], digest)
    for posting in postings:
        lines = posting.lines
        if len(lines) < 2:
            raise LedgerError(f"{posting.idempotency_key}: an entry needs at least two lines.")
        total_debit = total_credit = Decimal("0")
        texts = []
        for number, (code, debit, credit, member_id, loan_id, description) in enumerate(lines, start=1):
            debit_text = cents(debit, f"line {number} ({code}) debit")
            credit_text = cents(credit, f"line {number} ({code}) credit")
            if (debit > 0) == (credit > 0):
                raise LedgerError(f"line {number} ({code}): give either a debit or a credit, not both or neither.")
            total_debit += debit
            total_credit += credit
            texts.append((code, debit_text, credit_text, member_id, loan_id, description))
            codes.add(code)
        if total_debit != total_credit:
            raise LedgerError(
                f"{posting.idempotency_key}: the entry does not balance: debits {total_debit}, credits {total_credit}."
            )
        canonical = sorted(f"{c}|{id_text(m)}|{id_text(loan)}|{d[1]}|{cr[1]}" for c, d, cr, m, loan, _ in texts)
        planned.append((posting, texts, hashlib.sha256("\n".join(canonical).encode()).hexdigest()))
    accounts = dict(Account.objects.filter(code__in=codes, active=True).values_list("code", "pk"))
    missing = sorted(codes - set(accounts))
    if missing:
        raise LedgerError(f"Unknown or inactive account(s): {', '.join(missing)}.")
    for attempt in range(3):
        existing = _existing_keys(keys, chunk_size)
        results, entry_rows, line_rows = _bulk_rows(planned, existing, accounts, posted_by)
        period_guard(dates=[row["date"] for row in entry_rows])  # not into a closed month (issue 18)
        try:
            with transaction.atomic(), connections[DEFAULT_DB_ALIAS].wrap_database_errors:
                head = chain_lock() if entry_rows else None
                rows_insert(JournalEntry, entry_rows, batch_size=chunk_size)
                rows_insert(JournalLine, line_rows, batch_size=chunk_size)
                chain_extend(head, entry_rows)
                # One cache call for the whole file, after the commit (issue 17), as ledger_post_many.
                member_figures_invalidate(
                    member_ids=[row["member_id"] for row in line_rows], loan_ids=[row["loan_id"] for row in line_rows]
                )
        except IntegrityError:
            new_keys = [row["idempotency_key"] for row in entry_rows]
            raced = any(
                JournalEntry.objects.filter(idempotency_key__in=new_keys[start : start + chunk_size]).exists()
                for start in range(0, len(new_keys), chunk_size)
            )
            if not raced or attempt == 2:
                raise
            continue
        return results
    raise AssertionError("unreachable")


def _existing_keys(keys: list[str], chunk_size: int) -> dict:
    """{key: (entry id, content hash)} for the keys already in the journal. On PostgreSQL one query with the keys as
    one array parameter (an IN list of 100,000 placeholders costs seconds to build and parse); elsewhere in chunks."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT idempotency_key, id, content_hash FROM finance_journalentry WHERE idempotency_key = ANY(%s)",
                [keys],
            )
            return {key: (entry_id, digest) for key, entry_id, digest in cursor.fetchall()}
    existing = {}
    chunk_size = min(chunk_size, 2000)  # SQLite's limit on variables
    for start in range(0, len(keys), chunk_size):
        for key, entry_id, digest in JournalEntry.objects.filter(
            idempotency_key__in=keys[start : start + chunk_size]
        ).values_list("idempotency_key", "pk", "content_hash"):
            existing[key] = (entry_id, digest)
    return existing


def _bulk_rows(planned, existing, accounts, posted_by):
    today = timezone.localdate()
    now = timezone.now()
    posted_by_id = posted_by.pk if posted_by is not None else None
    results, entry_rows, line_rows = [], [], []
    for posting, texts, digest in planned:
        key = posting.idempotency_key
        if key in existing:
            entry_id, stored = existing[key]
            if stored is None:
                stored = entry_content_hash(JournalEntry.objects.get(pk=entry_id))
            if stored != digest:
                raise IdempotencyConflict(idempotency_key=key, entry=JournalEntry.objects.get(pk=entry_id))
            results.append((entry_id, False))
            continue
        entry_id = ordered_uuid()
        date = posting.date or today
        entry_rows.append(
            {
                "id": entry_id,
                "date": date,
                "memo": posting.memo[:255],
                "source": posting.source[:100],
                "idempotency_key": key,
                "content_hash": digest,
                "posted_by_id": posted_by_id,
                "posted_at": now,
                "reversal_of_id": None,
            }
        )
        for code, (debit, _), (credit, _), member_id, loan_id, description in texts:
            line_rows.append(
                {
                    "entry_id": entry_id,
                    "account_id": accounts[code],
                    "debit": debit,
                    "credit": credit,
                    "member_id": member_id,
                    "loan_id": loan_id,
                    "description": description[:255],
                    "date": date,
                }
            )
        results.append((entry_id, True))
    return results, entry_rows, line_rows
