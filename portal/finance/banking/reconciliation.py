"""Bank reconciliation (T5): import a bank or M-Pesa statement, match its lines to the ledger, report the rest.

Import reads CSV or XLSX through the one file reader (portal/society/file_reader.py: caps on size, unzipped size,
rows and columns; a damaged file is a form error naming it) with flexible headers — date (or completion time /
value date), reference (or receipt no. / transaction id), description (or details / narrative) and either a signed
`amount` or `paid in` / `withdrawn` (also `credit` / `debit`) columns. Every row is checked first and every problem
named with its row in the file and field; then all rows are stored, or none. The file's SHA-256 is unique: the
same file twice imports once.

Matching, for each unmatched statement line against unmatched ledger lines on the bank's own ledger account with
the same signed amount (money in = a debit on the bank account):
1. the reference appears in the ledger entry's source, key or memo (case-insensitive), within 7 days → match;
2. otherwise, exactly one such line within 3 days → match; two or more → left for a person to choose.
A manual match checks the same account and amount; nothing is matched twice (one-to-one in the database).
"""

import datetime
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from portal.audit.services import ACTION, audit_log
from portal.finance.ledger.models import JournalLine
from portal.society.file_reader import FileRejected, cell_text, read_table
from portal.society.money import InvalidAmount, parse_amount

from .models import BankAccount, BankStatement, BankTransaction, MatchMethod

HEADERS = {
    "date": {"date", "transaction date", "completion time", "value date", "posting date"},
    "reference": {"reference", "ref", "receipt no.", "receipt no", "receipt", "transaction id", "cheque no"},
    "description": {"description", "details", "narrative", "particulars"},
    "amount": {"amount"},
    "money_in": {"paid in", "credit", "money in", "deposits"},
    "money_out": {"withdrawn", "debit", "money out", "withdrawals"},
}
REFERENCE_DAYS, AMOUNT_DAYS = 7, 3
MANUAL_DAYS = 31  # candidates offered for a match by hand: a month either side


class StatementInvalid(ValidationError):
    """Rows of the file are wrong; `rows` lists (row, field, message). Nothing was imported."""

    def __init__(self, rows):
        self.rows = rows
        super().__init__([f"Row {row}, {field}: {message}" for row, field, message in rows])


@dataclass
class ImportResult:
    statement: BankStatement
    created: bool
    matched: int = 0


@dataclass
class ParsedRow:
    row_number: int
    date: datetime.date
    reference: str
    description: str
    amount: Decimal


@dataclass
class _Problems:
    rows: list = field(default_factory=list)

    def add(self, row, name, message):
        self.rows.append((row, name, message))


def _records(content: bytes, file_name: str) -> Iterator[tuple[int, dict]]:
    """(row number in the file, {column key: value}) for each non-blank row under the header, streamed by the one
    file reader (portal/society/file_reader.py), which refuses a damaged file, a zip bomb or one past the caps with
    FileRejected naming the file."""
    table = read_table(content, file_name=file_name)
    names = {}
    for index, header in enumerate(table.header):
        label = header.strip().lower()
        for key, options in HEADERS.items():
            if label in options:
                names[index] = key
    if "date" not in names.values() or not (
        "amount" in names.values() or {"money_in", "money_out"} & set(names.values())
    ):
        raise FileRejected(
            table.file_name, "the file needs a date column and an amount (or paid in / withdrawn) column."
        )
    for row in table:
        record = dict.fromkeys(names.values())
        record.update({names[i]: value for i, value in enumerate(row.values) if i in names})
        yield row.number, record


def _date(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value or "").strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _money(value, row, name, problems) -> Decimal:
    text = str(value if value is not None else "").strip()
    if not text:
        return Decimal("0.00")
    negative = text.startswith("-")
    try:
        amount = parse_amount(text.lstrip("-"), allow_zero=True)
    except InvalidAmount as exc:
        problems.add(row, name, str(exc))
        return Decimal("0.00")
    return -amount if negative else amount


def statement_parse(*, content: bytes, file_name: str) -> list[ParsedRow]:
    """Every row checked; StatementInvalid names each bad row (its number in the file) and field, and a file that
    cannot be read is a ValidationError on `file` naming it."""
    try:
        return _statement_rows(content, file_name)
    except FileRejected as exc:
        raise ValidationError({"file": [str(exc)]}) from exc


def _statement_rows(content: bytes, file_name: str) -> list[ParsedRow]:
    problems = _Problems()
    parsed = []
    for number, record in _records(content, file_name):
        date = _date(record.get("date"))
        if date is None:
            problems.add(number, "date", f"{record.get('date')!r} is not a date (use YYYY-MM-DD or DD/MM/YYYY).")
        if "amount" in record:
            amount = _money(record.get("amount"), number, "amount", problems)
        else:
            amount = _money(record.get("money_in"), number, "paid in", problems) - _money(
                record.get("money_out"), number, "withdrawn", problems
            )
        if amount == 0:
            problems.add(number, "amount", "No amount in or out.")
        parsed.append(
            ParsedRow(
                number,
                date or datetime.date.min,
                cell_text(record.get("reference"))[:100],
                cell_text(record.get("description"))[:255],
                amount,
            )
        )
    if problems.rows:
        raise StatementInvalid(problems.rows)
    return parsed


def statement_import(*, bank_account: BankAccount, content: bytes, file_name: str, by=None) -> ImportResult:
    """Store the statement's lines (all or none; once per file), then try to match them."""
    sha = hashlib.sha256(content).hexdigest()
    existing = BankStatement.objects.filter(sha256=sha).first()
    if existing is not None:
        return ImportResult(existing, False)
    rows = statement_parse(content=content, file_name=file_name)
    try:
        with transaction.atomic():
            statement = BankStatement.objects.create(
                bank_account=bank_account, file_name=file_name[:200], sha256=sha, imported_by=by
            )
            BankTransaction.objects.bulk_create(
                [
                    BankTransaction(
                        statement=statement,
                        bank_account=bank_account,
                        row_number=row.row_number,
                        date=row.date,
                        reference=row.reference,
                        description=row.description,
                        amount=row.amount,
                    )
                    for row in rows
                ]
            )
    except IntegrityError:
        existing = BankStatement.objects.filter(sha256=sha).first()
        if existing is None:
            raise
        return ImportResult(existing, False)
    matched = bank_transactions_match(bank_account=bank_account, by=by)
    audit_log(
        instance=statement,
        action=ACTION,
        by=by,
        summary=f"Imported {file_name}: {len(rows)} lines, {matched} matched automatically",
    )
    return ImportResult(statement, True, matched)


def candidate_lines(bank_transaction: BankTransaction, *, days: int):
    """Unmatched ledger lines on the bank's account with the same signed amount, within `days` of the date."""
    account_id = bank_transaction.bank_account.ledger_account_id
    amount = bank_transaction.amount
    side = Q(debit=amount) if amount > 0 else Q(credit=-amount)
    window = (
        bank_transaction.date - datetime.timedelta(days=days),
        bank_transaction.date + datetime.timedelta(days=days),
    )
    return (
        JournalLine.objects.filter(side, account_id=account_id, date__range=window, bank_match__isnull=True)
        .select_related("entry")
        .order_by("date")
    )


def reconcile_candidates(bank_transaction: BankTransaction, *, days: int = MANUAL_DAYS, limit: int = 50) -> list:
    """The ledger lines a person may match this statement line to by hand (what `bank_transaction_reconcile`
    accepts: same bank account, same signed amount, not matched yet), nearest date first; none once it is matched."""
    if bank_transaction.matched_line_id:
        return []
    lines = list(candidate_lines(bank_transaction, days=days))
    lines.sort(key=lambda line: (abs((line.date - bank_transaction.date).days), line.date, line.pk))
    return lines[:limit]


def _reference_hit(line: JournalLine, reference: str) -> bool:
    needle = reference.lower()
    entry = line.entry
    return any(needle in (text or "").lower() for text in (entry.source, entry.idempotency_key, entry.memo))


def bank_transactions_match(*, bank_account: BankAccount, by=None) -> int:
    """Automatic matching of every unmatched line of this bank account's statements; returns how many matched."""
    matched = 0
    for bank_transaction in BankTransaction.objects.filter(bank_account=bank_account, matched_line=None).select_related(
        "bank_account"
    ):
        line, method = None, ""
        if bank_transaction.reference:
            hits = [
                c
                for c in candidate_lines(bank_transaction, days=REFERENCE_DAYS)
                if _reference_hit(c, bank_transaction.reference)
            ]
            if len(hits) == 1:
                line, method = hits[0], MatchMethod.REFERENCE
        if line is None:
            nearby = list(candidate_lines(bank_transaction, days=AMOUNT_DAYS)[:2])
            if len(nearby) == 1:
                line, method = nearby[0], MatchMethod.AMOUNT_DATE
        if line is not None and _link(bank_transaction, line, method, by):
            matched += 1
    return matched


def _link(bank_transaction: BankTransaction, line: JournalLine, method: str, by) -> bool:
    try:
        with transaction.atomic():
            updated = BankTransaction.objects.filter(pk=bank_transaction.pk, matched_line=None).update(
                matched_line=line, match_method=method, matched_by=by, matched_at=timezone.now()
            )
    except IntegrityError:  # that ledger line was matched meanwhile
        return False
    return bool(updated)


def bank_transaction_reconcile(*, bank_transaction: BankTransaction, line: JournalLine, by) -> BankTransaction:
    """A person matches a statement line to a ledger line (same bank account, same signed amount)."""
    if bank_transaction.matched_line_id:
        raise ValidationError({"bank_transaction": ["This statement line is already matched."]})
    if line.account_id != bank_transaction.bank_account.ledger_account_id:
        raise ValidationError({"line": ["That ledger line is not on this bank account."]})
    signed = line.debit - line.credit
    if signed != bank_transaction.amount:
        raise ValidationError(
            {"line": [f"Amounts differ: the statement says {bank_transaction.amount}, the ledger {signed}."]}
        )
    if not _link(bank_transaction, line, MatchMethod.MANUAL, by):
        raise ValidationError({"line": ["That ledger line is already matched to another statement line."]})
    bank_transaction.refresh_from_db()
    audit_log(
        instance=bank_transaction,
        action=ACTION,
        by=by,
        summary=f"Matched by hand to journal entry {line.entry_id} ({line.date}, KES {signed:,.2f})",
        changes={"matched_line": {"before": None, "after": str(line.pk)}},
    )
    return bank_transaction


@dataclass
class Unreconciled:
    bank_account: BankAccount
    statement_lines: list
    ledger_lines: list


def unreconciled_report(*, bank_account: BankAccount, start: datetime.date, end: datetime.date) -> Unreconciled:
    """What the bank shows that the books do not (statement lines unmatched) and the other way round."""
    statement_lines = list(
        BankTransaction.objects.filter(bank_account=bank_account, matched_line=None, date__range=(start, end))
    )
    ledger_lines = list(
        JournalLine.objects.filter(
            account_id=bank_account.ledger_account_id, bank_match__isnull=True, date__range=(start, end)
        )
        .select_related("entry")
        .order_by("date")
    )
    return Unreconciled(bank_account, statement_lines, ledger_lines)
