"""Posting: the only way money moves. Every event is one balanced JournalEntry with a unique idempotency key;
corrections are reversals."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.finance.bulk_insert import instance_row, rows_insert
from portal.finance.money import CENT

from .models import Account, JournalEntry, JournalLine


class LedgerError(ValueError):
    """A posting that must not happen: unbalanced, bad amount, unknown or inactive account, double reversal."""


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


def ledger_post(
    *,
    memo: str,
    lines: list[Line],
    idempotency_key: str,
    posted_by=None,
    date: datetime.date | None = None,
    source: str = "",
) -> PostResult:
    """Post one balanced entry, once. The same key again returns the entry already posted (created=False)."""
    return _post(
        memo=memo,
        lines=lines,
        idempotency_key=idempotency_key,
        posted_by=posted_by,
        date=date,
        source=source,
        reversal_of=None,
    )


def _post(*, memo, lines, idempotency_key, posted_by, date, source, reversal_of) -> PostResult:
    if not idempotency_key:
        raise LedgerError("An idempotency key is required.")
    existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return PostResult(existing, False)
    checked = _validated_lines(lines)
    codes = {line.account for line, _, _ in checked}
    accounts = {a.code: a for a in Account.objects.filter(code__in=codes, active=True)}
    missing = sorted(codes - set(accounts))
    if missing:
        raise LedgerError(f"Unknown or inactive account(s): {', '.join(missing)}.")
    try:
        with transaction.atomic():
            entry = JournalEntry.objects.create(
                date=date or timezone.localdate(),
                memo=memo[:255],
                source=source[:100],
                idempotency_key=idempotency_key,
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
    except IntegrityError:
        # Another transaction posted the same key first: that posting stands.
        existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return PostResult(existing, False)
    return PostResult(entry, True)


def ledger_reverse(
    *, entry: JournalEntry, posted_by=None, memo: str = "", date: datetime.date | None = None
) -> PostResult:
    """Post the mirror image of an entry (sides swapped). Each entry can be reversed once; a reversal itself
    is corrected by posting the right entry again, not by reversing the reversal."""
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
            description=line.description,
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


def ledger_post_many(*, postings: list[Posting], posted_by=None, chunk_size: int = 2000) -> list[PostResult]:
    """Post many entries in a few queries (check-off files, batches, demo history), with the same rules as
    `ledger_post`: each balanced, each key once. Runs in one transaction: any bad posting posts nothing.
    Keys already in the journal are returned as created=False and not posted again."""
    keys = [p.idempotency_key for p in postings]
    if any(not key for key in keys):
        raise LedgerError("An idempotency key is required.")
    if len(set(keys)) != len(keys):
        raise LedgerError("The same idempotency key appears twice in one bulk posting.")
    checked = [_validated_lines(p.lines) for p in postings]
    codes = {line.account for lines in checked for line, _, _ in lines}
    accounts = {a.code: a for a in Account.objects.filter(code__in=codes, active=True)}
    missing = sorted(codes - set(accounts))
    if missing:
        raise LedgerError(f"Unknown or inactive account(s): {', '.join(missing)}.")
    existing: dict[str, JournalEntry] = {}
    for start in range(0, len(keys), chunk_size):
        for entry in JournalEntry.objects.filter(idempotency_key__in=keys[start : start + chunk_size]):
            existing[entry.idempotency_key] = entry
    today = timezone.localdate()
    now = timezone.now()
    results: list[PostResult] = []
    new_entries: list[JournalEntry] = []
    new_lines: list[dict] = []
    for posting, lines in zip(postings, checked, strict=True):
        if posting.idempotency_key in existing:
            results.append(PostResult(existing[posting.idempotency_key], False))
            continue
        entry = JournalEntry(
            date=posting.date or today,
            memo=posting.memo[:255],
            source=posting.source[:100],
            idempotency_key=posting.idempotency_key,
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
    with transaction.atomic():
        rows_insert(JournalEntry, [instance_row(e) for e in new_entries], batch_size=chunk_size)
        rows_insert(JournalLine, new_lines, batch_size=chunk_size)
    for entry in new_entries:
        entry._state.adding = False
        entry._state.db = "default"
    return results
