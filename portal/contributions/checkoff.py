"""Payroll check-off and payment files (C4): read by the one file reader (portal/society/file_reader.py), every row
checked against one read of the member table (`checkoff_check`), previewed as a dry run with every row's errors,
then posted together or not at all. (django-import-export read and checked rows one by one here until issue 17:
about 0.6 s per 10,000 rows, twice per file; the rows are now checked in one pass and amounts parsed once per
distinct text.) Files above CHECKOFF_BACKGROUND_ROWS post in the background: checkoff_runs.py.

A file's rows name a member (payroll number or membership number) and split the amount into share capital,
deposits (the period's contribution) and loan repayment. Each row posts one journal entry keyed
`checkoff:<file sha256>:<row>`; the file's SHA-256 is unique among posted imports, so the same file twice (or
twice at once) posts once. Loan repayments come in to 2300 Unallocated receipts [member]; once the file is
committed, a task moves them to the member's loans (portal/loans/allocation.py).
"""

import datetime
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from portal.audit.services import POST, audit_log
from portal.finance.banking.models import BankAccount
from portal.finance.bulk_insert import rows_insert
from portal.finance.ledger.services import BulkPosting, ledger_post_bulk
from portal.finance.periods.guard import PeriodClosed, period_guard
from portal.members.models import Member, MemberStatus
from portal.society.file_reader import FileRejected, cell_text, read_table
from portal.society.money import InvalidAmount, format_money, parse_amount, to_cents
from portal.society.policy import sacco_settings

from .messages import checkoff_received_queue
from .models import (
    CheckoffImport,
    CheckoffRow,
    MemberContributionSchedule,
    MonthlyContribution,
    PaymentSource,
    ShareCapitalPayment,
)
from .periods import format_period
from .rules import contribution_due
from .services import (
    DEPOSITS_ACCOUNT,
    SHARE_CAPITAL_ACCOUNT,
    SUSPENSE_ACCOUNT,
    PaymentsInvalid,
    RowError,
    summaries_add,
)

MEMBER_COLUMNS = ("payroll_number", "membership_number")
AMOUNT_COLUMNS = ("share_capital", "deposits", "loan_repayment")
HEADER_ALIASES = {
    "payroll_no": "payroll_number",
    "payroll": "payroll_number",
    "staff_number": "payroll_number",
    "member_number": "membership_number",
    "member_no": "membership_number",
    "shares": "share_capital",
    "share_capital_amount": "share_capital",
    "deposit": "deposits",
    "savings": "deposits",
    "monthly_contribution": "deposits",
    "loan": "loan_repayment",
    "loan_repayments": "loan_repayment",
}


class CheckoffFileError(ValidationError):
    """The file as a whole cannot be read: wrong type, too big, no rows, missing columns."""


def _normalise_header(text) -> str:
    name = str(text or "").strip().lower().replace(" ", "_").replace("-", "_").replace(".", "")
    return HEADER_ALIASES.get(name, name)


@dataclass(frozen=True)
class CheckoffTable:
    """The rows of a check-off file: `records` are (member column values, amount column raw values) per data row,
    numbered from 1 under the header (blank rows skipped)."""

    file_name: str
    records: list[tuple]
    amount_columns: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.records)


def read_checkoff_table(*, content: bytes, file_name: str) -> CheckoffTable:
    """The rows of CSV or XLSX bytes, with normalised headers, read through the one file reader
    (portal/society/file_reader.py: caps on size, unzipped size, rows (CHECKOFF_MAX_ROWS: a payroll file has a
    row per member) and columns; a damaged file or a zip bomb is a CheckoffFileError naming the file, never a 500
    or a held worker). Blank rows are skipped; rows are numbered from 1 under the header."""
    try:
        table = read_table(content, file_name=file_name, max_rows=settings.CHECKOFF_MAX_ROWS)
        headers = [_normalise_header(h) for h in table.header]
        named = [h for h in headers if h]
        repeated = sorted({h for h in named if named.count(h) > 1})
        if repeated:
            raise FileRejected(table.file_name, f"the column {', '.join(repeated)} appears more than once.")
        if not any(c in headers for c in MEMBER_COLUMNS):
            raise FileRejected(table.file_name, "the file needs a payroll_number or membership_number column.")
        if not any(c in headers for c in AMOUNT_COLUMNS):
            raise FileRejected(
                table.file_name, "the file needs at least one of share_capital, deposits, loan_repayment."
            )
        keys = [h or None for h in headers]
        wanted = (*MEMBER_COLUMNS, *AMOUNT_COLUMNS)
        records = [tuple(record.get(c) for c in wanted) for _number, record in table.records(keys=keys)]
    except FileRejected as exc:
        raise CheckoffFileError({"file": [str(exc)]}) from exc
    if not records:
        raise CheckoffFileError({"file": [f"{table.file_name}: the file has no rows under the header."]})
    return CheckoffTable(table.file_name, records, tuple(c for c in AMOUNT_COLUMNS if c in headers))


class CheckoffLine:
    """One row of a file as read and checked (not saved: `_post_rows` writes CheckoffRow rows in bulk)."""

    __slots__ = ("row_number", "member_id", "membership_number_read", "share_capital", "deposits", "loan_repayment")

    def __init__(self, row_number, member_id, membership_number_read, share_capital, deposits, loan_repayment):
        self.row_number = row_number
        self.member_id = member_id
        self.membership_number_read = membership_number_read  # shown in the preview
        self.share_capital = share_capital
        self.deposits = deposits
        self.loan_repayment = loan_repayment

    @property
    def total(self) -> Decimal:
        return self.share_capital + self.deposits + self.loan_repayment


class MemberDirectory:
    """Every member's number, payroll number and status, from one query (not one per row): a check-off file names
    most of the society, and one read of the member table is cheaper than IN lists of 100,000 numbers."""

    def __init__(self):
        self.numbers: dict[str, tuple] = {}
        self.payroll: dict[str, list[tuple]] = {}
        for member_id, number, payroll_number, status in Member.objects.values_list(
            "pk", "membership_number", "payroll_number", "status"
        ).iterator(chunk_size=20000):
            found = (member_id, number, status)
            self.numbers[number.upper()] = found
            if payroll_number:
                self.payroll.setdefault(payroll_number.strip().upper(), []).append(found)

    def find(self, number_cell, payroll_cell) -> tuple:
        """(member id, membership number, status), or ValidationError naming the column."""
        number = cell_text(number_cell).upper()
        if number:
            found = self.numbers.get(number)
            if found is None:
                raise ValidationError({"membership_number": [f"No member has membership number {number}."]})
            return found
        payroll_number = cell_text(payroll_cell).upper()
        if payroll_number:
            found = self.payroll.get(payroll_number, [])
            if not found:
                raise ValidationError({"payroll_number": [f"No member has payroll number {payroll_number}."]})
            if len(found) > 1:
                raise ValidationError(
                    {
                        "payroll_number": [
                            f"Payroll number {payroll_number} belongs to several members; use the membership number."
                        ]
                    }
                )
            return found[0]
        raise ValidationError({"payroll_number": ["The row names no member (payroll or membership number)."]})


ZERO = Decimal("0.00")
PROGRESS_EVERY = 10_000


def _check_rows(table: CheckoffTable, *, progress=None) -> tuple[list[CheckoffLine], list[RowError]]:
    """Check every row: member found and not exited, amounts strictly parsed, something to post. Amounts are
    parsed once per distinct text (a payroll file repeats a few amounts thousands of times). `progress(checked,
    total)` is called every PROGRESS_EVERY rows."""
    directory = MemberDirectory()
    parsed: dict = {}  # raw text -> (Decimal, None) or (None, message)

    def amount(raw):
        if raw is None or raw == "":
            return ZERO, None
        text = str(raw)
        known = parsed.get(text)
        if known is None:
            try:
                known = (parse_amount(text, allow_zero=True), None)
            except InvalidAmount as exc:
                known = (None, str(exc))
            parsed[text] = known
        return known

    rows: list[CheckoffLine] = []
    errors: list[RowError] = []
    total = len(table.records)
    if progress is not None:
        progress(0, total)
    for number, (payroll_cell, membership_cell, *raw_amounts) in enumerate(table.records, start=1):
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(number, total)
        row_errors: dict[str, str] = {}
        member_id = membership_number = None
        try:
            member_id, membership_number, status = directory.find(membership_cell, payroll_cell)
            if status == MemberStatus.EXITED:
                row_errors["member"] = f"{membership_number} has exited the SACCO."
        except ValidationError as exc:
            for column, messages in exc.message_dict.items():
                row_errors[column] = messages[0]
        values = []
        for column, raw in zip(AMOUNT_COLUMNS, raw_amounts, strict=True):
            value, message = amount(raw)
            if message is not None:
                row_errors[column] = message
            values.append(value)
        if not row_errors and values[0] + values[1] + values[2] == 0:
            row_errors["deposits"] = "The row has no amount to post."
        if row_errors:
            errors.extend(RowError(number, column, message) for column, message in row_errors.items())
            continue
        rows.append(CheckoffLine(number, member_id, membership_number, *values))
    if progress is not None:
        progress(total, total)
    return rows, errors


@dataclass
class CheckoffPreview:
    """What posting the file would do: its rows, every error, and the totals."""

    file_name: str
    sha256: str
    period: datetime.date
    rows: list[CheckoffLine]
    errors: list[RowError]
    already_posted: CheckoffImport | None = None
    totals: dict = field(default_factory=dict)
    row_count: int = 0

    @property
    def can_post(self) -> bool:
        return not self.errors and self.already_posted is None

    @property
    def total(self) -> Decimal:
        return sum(self.totals.values(), Decimal("0.00"))


def _minimum_errors(rows: list[CheckoffLine], period: datetime.date, reason: str) -> list[RowError]:
    """Deposits that leave a member below what they owe for the period need the uploader's reason."""
    if reason.strip():
        return []
    paying = [r for r in rows if r.deposits > 0]
    member_ids = {r.member_id for r in paying}
    # Whole-period and whole-table reads: cheaper than IN lists of thousands of members.
    paid: dict = {}
    for row in (
        MonthlyContribution.objects.filter(period=period, entry__reversed_by__isnull=True)
        .values("member_id")
        .annotate(total=Sum("amount"))
    ):
        if row["member_id"] in member_ids:
            paid[row["member_id"]] = to_cents(str(row["total"]))
    schedules = dict(
        MemberContributionSchedule.objects.filter(monthly_amount__isnull=False).values_list(
            "member_id", "monthly_amount"
        )
    )
    minimum = sacco_settings().minimum_monthly_contribution
    in_file: dict = {}
    for row in paying:
        in_file[row.member_id] = in_file.get(row.member_id, Decimal("0")) + row.deposits
    errors = []
    for row in paying:
        due = contribution_due(schedules.get(row.member_id), minimum=minimum)
        total = paid.get(row.member_id, Decimal("0")) + in_file[row.member_id]
        if total < due:
            errors.append(
                RowError(
                    row.row_number,
                    "deposits",
                    f"{format_money(row.deposits)} leaves {format_period(period)} at {format_money(total)}, below the "
                    f"{format_money(due)} due; give a below-minimum reason to accept it.",
                )
            )
    return errors


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@dataclass
class CheckedFile:
    """A file read and every row checked: the rows ready to post and every error (sorted by row)."""

    table: CheckoffTable
    rows: list[CheckoffLine]
    errors: list[RowError]

    @property
    def totals(self) -> dict:
        return {column: sum((getattr(r, column) for r in self.rows), ZERO) for column in AMOUNT_COLUMNS}


def checkoff_check(
    *, content: bytes, file_name: str, period: datetime.date, below_minimum_reason: str = "", progress=None
) -> CheckedFile:
    """Read the file once and check every row (members, amounts, minimums); write nothing. The preview and the
    posting both call this on the same bytes (the posting finds them by their SHA-256), so what was previewed is
    what is posted; the posting checks again what may have changed since (members exited, the period's deposits),
    inside its transaction."""
    table = read_checkoff_table(content=content, file_name=file_name)
    rows, errors = _check_rows(table, progress=progress)
    errors += _minimum_errors(rows, period, below_minimum_reason)
    errors.sort(key=lambda e: e.row)
    return CheckedFile(table, rows, errors)


def checkoff_preview(
    *, content: bytes, file_name: str, period: datetime.date, below_minimum_reason: str = ""
) -> CheckoffPreview:
    """Dry run: read and check every row, write nothing."""
    sha = sha256_of(content)
    checked = checkoff_check(
        content=content, file_name=file_name, period=period, below_minimum_reason=below_minimum_reason
    )
    already = CheckoffImport.objects.filter(sha256=sha).first()
    return CheckoffPreview(
        file_name, sha, period, checked.rows, checked.errors, already, checked.totals, len(checked.table)
    )


@dataclass
class CheckoffOutcome:
    checkoff: CheckoffImport
    created: bool  # False: this file had been posted before; nothing was posted now


def checkoff_post(
    *,
    content: bytes,
    file_name: str,
    period: datetime.date,
    bank_account: BankAccount,
    received_on: datetime.date | None = None,
    below_minimum_reason: str = "",
    posted_by=None,
    progress=None,
) -> CheckoffOutcome:
    """Post the whole file, or raise PaymentsInvalid naming every bad row and post nothing.

    Two phases: every row is checked first, outside any transaction (`progress(rows checked)` is told as it goes,
    and may write where others can see it); then the rows are posted in one transaction, which first checks again
    what may have changed meanwhile (a member exiting, the period's deposits). All or nothing: a failure in the
    second phase rolls everything back."""
    sha = sha256_of(content)
    existing = CheckoffImport.objects.filter(sha256=sha).first()
    if existing is not None:
        return CheckoffOutcome(existing, False)
    received_on = received_on or timezone.localdate()
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": ["The date received cannot be in the future."]})
    try:
        period_guard(dates=[received_on])
    except PeriodClosed as exc:
        raise exc.for_field("received_on") from None
    if not bank_account.active:
        raise ValidationError({"bank_account": [f"{bank_account.name} is not active."]})
    reason = below_minimum_reason.strip()[:255]
    checked = checkoff_check(
        content=content, file_name=file_name, period=period, below_minimum_reason=reason, progress=progress
    )
    if checked.errors:
        raise PaymentsInvalid(checked.errors)
    try:
        with transaction.atomic():
            checkoff = CheckoffImport.objects.create(
                file_name=file_name[:200],
                sha256=sha,
                period=period,
                bank_account=bank_account,
                received_on=received_on,
                row_count=len(checked.table),
                below_minimum_reason=reason,
                posted_by=posted_by,
            )
            _recheck(checked.rows, period, reason)
            _post_rows(checkoff, checked.rows, reason, posted_by)
            if any(row.loan_repayment > 0 for row in checked.rows):
                _allocation_queue(checkoff, posted_by)  # its members are told once their loan parts are allocated
            else:
                checkoff_received_queue(checkoff=checkoff)
    except IntegrityError:
        # Someone posted the same file at the same moment; theirs stands.
        existing = CheckoffImport.objects.filter(sha256=sha).first()
        if existing is None:
            raise
        return CheckoffOutcome(existing, False)
    return CheckoffOutcome(checkoff, True)


def _recheck(rows: list[CheckoffLine], period: datetime.date, reason: str) -> None:
    """Inside the posting transaction: what may have changed since the rows were checked. Members who exited
    meanwhile (one read of the exited members, a small set), and the period's minimums (deposits reversed
    meanwhile)."""
    exited = dict(Member.objects.filter(status=MemberStatus.EXITED).values_list("pk", "membership_number").iterator())
    errors = [
        RowError(row.row_number, "member", f"{exited[row.member_id]} has exited the SACCO.")
        for row in rows
        if row.member_id in exited
    ]
    errors += _minimum_errors(rows, period, reason)
    if errors:
        raise PaymentsInvalid(sorted(errors, key=lambda e: e.row))


def _allocation_queue(checkoff: CheckoffImport, posted_by) -> None:
    """Once the file is committed, move its loan repayments from 2300 to the loans (portal/loans/allocation.py,
    by its dotted path: savings do not import the loan engine)."""
    from django_q.tasks import async_task

    user_id = posted_by.pk if posted_by else None
    transaction.on_commit(
        lambda: async_task("portal.loans.allocation.checkoff_repayments_allocate_task", checkoff.pk, user_id)
    )


def _post_rows(checkoff: CheckoffImport, rows: list[CheckoffLine], reason: str, posted_by) -> None:
    """One journal entry per row through the ledger's bulk path (COPY on PostgreSQL), then the payment records, the
    check-off rows and the members' summaries, all in the caller's transaction."""
    bank_code = checkoff.bank_account.ledger_account.code
    label = format_period(checkoff.period)
    parts = (
        ("share_capital", SHARE_CAPITAL_ACCOUNT, f"Share capital {label}"),
        ("deposits", DEPOSITS_ACCOUNT, f"Monthly contribution {label}"),
        ("loan_repayment", SUSPENSE_ACCOUNT, f"Loan repayment awaiting allocation {label}"),
    )
    key_prefix = f"checkoff:{checkoff.sha256}:"
    source = checkoff.file_name
    date = checkoff.received_on
    postings = []
    for row in rows:
        memo = f"Check-off {label} {row.membership_number_read}"
        lines = [(bank_code, row.total, ZERO, None, None, memo)]
        for column, account, description in parts:
            amount = getattr(row, column)
            if amount > 0:
                lines.append((account, ZERO, amount, row.member_id, None, description))
        postings.append(BulkPosting(f"{key_prefix}{row.row_number}", memo, tuple(lines), date, source))
    posted = ledger_post_bulk(postings=postings, posted_by=posted_by)
    contributions, shares, row_records = [], [], []
    common = {
        "date": checkoff.received_on,
        "source": PaymentSource.CHECKOFF,
        "bank_account_id": checkoff.bank_account_id,
        "recorded_by_id": posted_by.pk if posted_by else None,
    }
    reference_prefix = f"{checkoff.file_name[:80]} row "
    for row, (entry_id, _created) in zip(rows, posted, strict=True):
        shared = {
            **common,
            "member_id": row.member_id,
            "reference": f"{reference_prefix}{row.row_number}",
            "entry_id": entry_id,
        }
        if row.deposits > 0:
            contributions.append(
                {**shared, "amount": row.deposits, "period": checkoff.period, "below_minimum_reason": reason}
            )
        if row.share_capital > 0:
            shares.append({**shared, "amount": row.share_capital})
        row_records.append(
            {
                "checkoff_id": checkoff.pk,
                "row_number": row.row_number,
                "member_id": row.member_id,
                "share_capital": row.share_capital,
                "deposits": row.deposits,
                "loan_repayment": row.loan_repayment,
                "entry_id": entry_id,
            }
        )
    rows_insert(MonthlyContribution, contributions)
    rows_insert(ShareCapitalPayment, shares)
    rows_insert(CheckoffRow, row_records)
    checkoff.total_amount = sum((r.total for r in rows), Decimal("0.00"))
    checkoff.save(update_fields=["total_amount"])
    deltas: dict = {}
    for row in rows:
        share, deposits = deltas.get(row.member_id, (Decimal("0"), Decimal("0")))
        deltas[row.member_id] = (share + row.share_capital, deposits + row.deposits)
    summaries_add(deltas=deltas)
    audit_log(
        instance=checkoff,
        action=POST,
        by=posted_by,
        summary=f"Check-off {checkoff.file_name}: {len(rows)} rows, KES {checkoff.total_amount:,.2f}",
    )
