"""Payroll check-off and payment files (C4): read by the one file reader (portal/society/file_reader.py) into
django-import-export, previewed as a dry run with every row's errors, then posted together or not at all.

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
from pathlib import Path

import tablib
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from import_export import resources

from portal.audit.services import POST, audit_log
from portal.finance.banking.models import BankAccount
from portal.finance.bulk_insert import rows_insert
from portal.finance.ledger.services import Line, Posting, ledger_post_many
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


def checkoff_upload_dir() -> Path:
    """Where previewed files wait to be confirmed, one per SHA-256, in private storage: the check-off desk keeps
    them there between preview and confirm, and the dashboard counts those waiting. (Not created here.)"""
    return Path(settings.PRIVATE_MEDIA_ROOT) / "checkoff-uploads"


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


def read_dataset(*, content: bytes, file_name: str) -> tablib.Dataset:
    """A tablib Dataset from CSV or XLSX bytes, with normalised headers, read through the one file reader
    (portal/society/file_reader.py: caps on size, unzipped size, rows and columns; a damaged file or a zip bomb is
    a CheckoffFileError naming the file, never a 500 or a held worker). Blank rows are skipped; rows are
    numbered from 1 under the header."""
    try:
        table = read_table(content, file_name=file_name)
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
        columns = [h for h in keys if h]
        dataset = tablib.Dataset(headers=columns)
        for _number, record in table.records(keys=keys):
            dataset.append([record[h] for h in columns])
    except FileRejected as exc:
        raise CheckoffFileError({"file": [str(exc)]}) from exc
    if len(dataset) == 0:
        raise CheckoffFileError({"file": [f"{table.file_name}: the file has no rows under the header."]})
    return dataset


class CheckoffRowResource(resources.ModelResource):
    """Reads check-off rows into unsaved CheckoffRow instances. Each row is checked here (member found and not
    exited, amounts strictly parsed, something to post); members are looked up from one query, not one per row."""

    class Meta:
        model = CheckoffRow
        fields = ("member", *AMOUNT_COLUMNS)
        use_bulk = True
        batch_size = 2000
        skip_diff = True
        force_init_instance = True
        clean_model_instances = False
        use_transactions = True

    def __init__(self, *, checkoff: CheckoffImport | None = None):
        super().__init__()
        self.checkoff = checkoff
        self.parsed: list[CheckoffRow] = []

    def before_import(self, dataset, **kwargs):
        numbers = {}
        payroll = {}
        for member_id, number, payroll_number, status in Member.objects.values_list(
            "pk", "membership_number", "payroll_number", "status"
        ):
            numbers[number.upper()] = (member_id, number, status)
            if payroll_number:
                payroll.setdefault(payroll_number.strip().upper(), []).append((member_id, number, status))
        self._numbers = numbers
        self._payroll = payroll

    def _member(self, row) -> tuple:
        number = cell_text(row.get("membership_number")).upper()
        payroll_number = cell_text(row.get("payroll_number")).upper()
        if number:
            found = self._numbers.get(number)
            if found is None:
                raise ValidationError({"membership_number": [f"No member has membership number {number}."]})
            return found
        if payroll_number:
            found = self._payroll.get(payroll_number, [])
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

    def import_instance(self, instance, row, **kwargs):
        errors: dict[str, list[str]] = {}
        try:
            member_id, number, status = self._member(row)
            if status == MemberStatus.EXITED:
                errors["member"] = [f"{number} has exited the SACCO."]
            instance.member_id = member_id
            instance.membership_number_read = number  # shown in the preview
        except ValidationError as exc:
            errors.update(exc.message_dict)
        total = Decimal("0")
        for column in AMOUNT_COLUMNS:
            raw = row.get(column)
            if raw in (None, ""):
                value = Decimal("0.00")
            else:
                try:
                    value = parse_amount(str(raw), allow_zero=True)
                except InvalidAmount as exc:
                    errors[column] = [str(exc)]
                    continue
            setattr(instance, column, value)
            total += value
        if not errors and total == 0:
            errors["deposits"] = ["The row has no amount to post."]
        if errors:
            raise ValidationError(errors)
        instance.row_number = kwargs["row_number"]
        instance.checkoff = self.checkoff

    def save_instance(self, instance, is_create, row, **kwargs):
        # Rows are written by `_post_rows`, together with the entries they posted; here they are only collected.
        self.parsed.append(instance)


@dataclass
class CheckoffPreview:
    """What posting the file would do: its rows, every error, and the totals."""

    file_name: str
    sha256: str
    period: datetime.date
    rows: list[CheckoffRow]
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


def _row_errors(result) -> list[RowError]:
    errors = []
    for invalid in result.invalid_rows:
        for column, messages in invalid.error_dict.items():
            for message in messages:
                errors.append(RowError(invalid.number, column, message))
    for number, row_errors in result.row_errors():
        for error in row_errors:
            errors.append(RowError(number, "row", str(error.error)))
    for error in result.base_errors:
        errors.append(RowError(0, "file", str(error.error)))
    return errors


def _minimum_errors(rows: list[CheckoffRow], period: datetime.date, reason: str) -> list[RowError]:
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


def checkoff_preview(
    *, content: bytes, file_name: str, period: datetime.date, below_minimum_reason: str = ""
) -> CheckoffPreview:
    """Dry run: read and check every row, write nothing."""
    sha = sha256_of(content)
    dataset = read_dataset(content=content, file_name=file_name)
    already = CheckoffImport.objects.filter(sha256=sha).first()
    resource = CheckoffRowResource()
    result = resource.import_data(dataset, dry_run=True)
    errors = _row_errors(result)
    valid_rows = resource.parsed
    errors += _minimum_errors(valid_rows, period, below_minimum_reason)
    errors.sort(key=lambda e: e.row)
    totals = {column: sum((getattr(r, column) for r in valid_rows), Decimal("0.00")) for column in AMOUNT_COLUMNS}
    return CheckoffPreview(file_name, sha, period, valid_rows, errors, already, totals, len(dataset))


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
) -> CheckoffOutcome:
    """Post the whole file, or raise PaymentsInvalid naming every bad row and post nothing."""
    sha = sha256_of(content)
    existing = CheckoffImport.objects.filter(sha256=sha).first()
    if existing is not None:
        return CheckoffOutcome(existing, False)
    received_on = received_on or timezone.localdate()
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": ["The date received cannot be in the future."]})
    if not bank_account.active:
        raise ValidationError({"bank_account": [f"{bank_account.name} is not active."]})
    dataset = read_dataset(content=content, file_name=file_name)
    reason = below_minimum_reason.strip()[:255]
    try:
        with transaction.atomic():
            checkoff = CheckoffImport.objects.create(
                file_name=file_name[:200],
                sha256=sha,
                period=period,
                bank_account=bank_account,
                received_on=received_on,
                row_count=len(dataset),
                below_minimum_reason=reason,
                posted_by=posted_by,
            )
            _post_rows(checkoff, dataset, reason, posted_by)
            if checkoff.rows.filter(loan_repayment__gt=0).exists():
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


def _allocation_queue(checkoff: CheckoffImport, posted_by) -> None:
    """Once the file is committed, move its loan repayments from 2300 to the loans (portal/loans/allocation.py,
    by its dotted path: savings do not import the loan engine)."""
    from django_q.tasks import async_task

    user_id = posted_by.pk if posted_by else None
    transaction.on_commit(
        lambda: async_task("portal.loans.allocation.checkoff_repayments_allocate_task", checkoff.pk, user_id)
    )


def _post_rows(checkoff: CheckoffImport, dataset, reason: str, posted_by) -> None:
    resource = CheckoffRowResource(checkoff=checkoff)
    result = resource.import_data(dataset, dry_run=True)
    errors = _row_errors(result)
    rows = resource.parsed
    errors += _minimum_errors(rows, checkoff.period, reason)
    if errors:
        raise PaymentsInvalid(sorted(errors, key=lambda e: e.row))
    numbers = dict(Member.objects.filter(pk__in={r.member_id for r in rows}).values_list("pk", "membership_number"))
    bank_code = checkoff.bank_account.ledger_account.code
    label = format_period(checkoff.period)
    postings = []
    for row in rows:
        memo = f"Check-off {label} {numbers[row.member_id]}"
        lines = [Line(bank_code, debit=row.total, description=memo)]
        for column, account, what in (
            ("share_capital", SHARE_CAPITAL_ACCOUNT, "Share capital"),
            ("deposits", DEPOSITS_ACCOUNT, "Monthly contribution"),
            ("loan_repayment", SUSPENSE_ACCOUNT, "Loan repayment awaiting allocation"),
        ):
            amount = getattr(row, column)
            if amount > 0:
                lines.append(Line(account, credit=amount, member_id=row.member_id, description=f"{what} {label}"))
        postings.append(
            Posting(
                memo=memo,
                lines=lines,
                idempotency_key=f"checkoff:{checkoff.sha256}:{row.row_number}",
                date=checkoff.received_on,
                source=checkoff.file_name,
            )
        )
    posted = ledger_post_many(postings=postings, posted_by=posted_by)
    contributions, shares, row_records = [], [], []
    common = {
        "date": checkoff.received_on,
        "source": PaymentSource.CHECKOFF,
        "bank_account_id": checkoff.bank_account_id,
        "recorded_by_id": posted_by.pk if posted_by else None,
    }
    for row, result in zip(rows, posted, strict=True):
        reference = f"{checkoff.file_name[:80]} row {row.row_number}"
        shared = {**common, "member_id": row.member_id, "reference": reference, "entry_id": result.entry.pk}
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
                "entry_id": result.entry.pk,
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
