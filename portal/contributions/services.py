"""Posting share capital and monthly contributions. One path for one payment, many (bulk entry, API bulk-create,
batches) and the demo history: validate every item, then post all of them through the ledger in one
transaction, or nothing. An external reference makes a payment idempotent: the same reference twice posts once.
"""

import datetime
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from portal.audit.changes import field_snapshot
from portal.audit.services import EDIT, POST, REVERSE, audit_log, audit_log_many
from portal.finance.banking.models import BankAccount
from portal.finance.banking.services import bank_account_primary
from portal.finance.bulk_insert import instance_row, rows_insert
from portal.finance.ledger.models import Account, JournalEntry, JournalLine
from portal.finance.ledger.services import IdempotencyConflict, Line, Posting, ledger_post_many, ledger_reverse
from portal.finance.periods.guard import PeriodClosed, books_closed_through
from portal.members.models import Member, MemberStatus
from portal.society.money import InvalidAmount, format_money, parse_amount, to_cents
from portal.society.money_fields import MoneyField

from .messages import payments_received_queue
from .models import (
    MemberContributionSchedule,
    MemberShareSummary,
    MonthlyContribution,
    PaymentSource,
    ShareCapitalPayment,
    ShareCapitalTerm,
)
from .periods import InvalidPeriod, add_months, format_period, parse_period, period_of
from .rules import contribution_due, default_share_capital_term

SHARE_CAPITAL = "share_capital"
MONTHLY = "monthly"
KINDS = {
    SHARE_CAPITAL: ("3000", ShareCapitalPayment, "share-capital"),
    MONTHLY: ("2000", MonthlyContribution, "monthly"),
}
SHARE_CAPITAL_ACCOUNT = "3000"
DEPOSITS_ACCOUNT = "2000"
SUSPENSE_ACCOUNT = "2300"
MONEY_FIELD = MoneyField()


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str

    def __str__(self):
        return f"Row {self.row}, {self.field}: {self.message}"


class PaymentsInvalid(ValidationError):
    """Some items of a payment request are wrong; nothing was posted. `row_errors` names each row and field."""

    def __init__(self, row_errors: list[RowError]):
        self.row_errors = row_errors
        super().__init__([str(e) for e in row_errors])


@dataclass
class PaymentItem:
    """One payment to record. `amount` and `period` may be raw text (from a form, file or API) or parsed values;
    `row` numbers the item in its request for error messages."""

    member: Member | None
    amount: object
    period: object = None  # monthly contributions only: "YYYY-MM" or a date
    date: datetime.date | None = None
    reference: str = ""
    below_minimum_reason: str = ""
    row: int = 1
    member_label: str = ""  # what the request named the member by, for the message when it was not found


@dataclass
class PaymentResult:
    record: MonthlyContribution | ShareCapitalPayment
    created: bool


@dataclass
class _Checked:
    item: PaymentItem
    amount: Decimal
    period: datetime.date | None
    date: datetime.date
    key: str
    errors: list[RowError] = field(default_factory=list)


def _key(kind: str, reference: str) -> str:
    prefix = KINDS[kind][2]
    return f"{prefix}:{reference}" if reference else f"{prefix}:auto:{uuid.uuid4()}"


def payments_validate(*, kind: str, items: list[PaymentItem], today: datetime.date | None = None) -> list[_Checked]:
    """Check every item; return them parsed, each with its errors (empty when it can be posted)."""
    if kind not in KINDS:
        raise ValueError(f"Unknown payment kind {kind!r}.")
    today = today or timezone.localdate()
    latest_period = add_months(period_of(today), 12)
    checked: list[_Checked] = []
    seen_references: dict[str, int] = {}
    closed_through = books_closed_through()  # a date in a closed month is a row error, not a refusal at posting
    for item in items:
        errors: list[RowError] = []
        row = item.row
        amount = Decimal("0")
        try:
            if isinstance(item.amount, float):
                raise InvalidAmount("Amounts must not be floats.")
            amount = parse_amount(str(item.amount))
        except InvalidAmount as exc:
            errors.append(RowError(row, "amount", str(exc)))
        if item.member is None:
            label = f" {item.member_label!r}" if item.member_label else ""
            errors.append(RowError(row, "member", f"No member{label} was found."))
        elif item.member.status == MemberStatus.EXITED:
            errors.append(RowError(row, "member", f"{item.member.membership_number} has exited the SACCO."))
        day = item.date or today
        if day > today:
            errors.append(RowError(row, "date", f"{day.isoformat()} is in the future."))
        elif closed_through is not None and day <= closed_through:
            errors.append(RowError(row, "date", PeriodClosed(date=day, closed_through=closed_through).text))
        period = None
        if kind == MONTHLY:
            try:
                period = item.period if isinstance(item.period, datetime.date) else parse_period(item.period or "")
                period = period_of(period)
                if period > latest_period:
                    errors.append(
                        RowError(row, "period", f"{format_period(period)} is more than 12 months ahead of today.")
                    )
            except InvalidPeriod as exc:
                errors.append(RowError(row, "period", str(exc)))
        reference = (item.reference or "").strip()
        if len(reference) > 100:
            errors.append(RowError(row, "reference", "The reference is longer than 100 characters."))
        if reference:
            if reference in seen_references:
                errors.append(
                    RowError(row, "reference", f"{reference!r} is already used by row {seen_references[reference]}.")
                )
            seen_references.setdefault(reference, row)
        checked.append(_Checked(item, amount, period, day, _key(kind, reference), errors))
    _check_existing_references(kind, checked)
    if kind == MONTHLY:
        _check_minimum(checked)
    return checked


def _check_existing_references(kind: str, checked: list[_Checked]) -> None:
    """A reference already posted is fine when it is the same payment (a retry), wrong when it is another."""
    _, model, _ = KINDS[kind]
    keys = [c.key for c in checked if not c.key.split(":", 2)[1] == "auto"]
    existing = {
        p.entry.idempotency_key: p
        for p in model.objects.filter(entry__idempotency_key__in=keys).select_related("entry")
    }
    for c in checked:
        payment = existing.get(c.key)
        if payment is None or c.item.member is None:
            continue
        same = payment.member_id == c.item.member.pk and payment.amount == c.amount
        if kind == MONTHLY:
            same = same and payment.period == c.period
        if not same:
            c.errors.append(
                RowError(c.item.row, "reference", f"{c.item.reference!r} was already used for another payment.")
            )


def _check_minimum(checked: list[_Checked]) -> None:
    """A period's contributions must reach the member's due amount, unless staff give a reason."""
    candidates = [c for c in checked if not c.errors and not c.item.below_minimum_reason.strip()]
    if not candidates:
        return
    member_ids = {c.item.member.pk for c in candidates}
    periods = {c.period for c in candidates}
    paid: dict[tuple, Decimal] = {}
    rows = (
        MonthlyContribution.objects.filter(
            member_id__in=member_ids, period__in=periods, entry__reversed_by__isnull=True
        )
        .values("member_id", "period")
        .annotate(total=Sum("amount"))
    )
    for row in rows:
        paid[(row["member_id"], row["period"])] = to_cents(str(row["total"]))
    schedules = dict(
        MemberContributionSchedule.objects.filter(member_id__in=member_ids).values_list("member_id", "monthly_amount")
    )
    in_request: dict[tuple, Decimal] = {}
    for c in checked:
        if not c.errors:
            pair = (c.item.member.pk, c.period)
            in_request[pair] = in_request.get(pair, Decimal("0")) + c.amount
    for c in candidates:
        pair = (c.item.member.pk, c.period)
        due = contribution_due(schedules.get(c.item.member.pk))
        total = paid.get(pair, Decimal("0")) + in_request[pair]
        if total < due:
            c.errors.append(
                RowError(
                    c.item.row,
                    "amount",
                    f"{format_money(c.amount)} brings {format_period(c.period)} to {format_money(total)}, below the "
                    f"{format_money(due)} due; a staff override with a reason is needed.",
                )
            )


def _bank_account(bank_account: BankAccount | None) -> BankAccount:
    account = bank_account or bank_account_primary()
    if account is None:
        raise ValidationError({"bank_account": ["There is no primary bank account to receive the money."]})
    if not account.active:
        raise ValidationError({"bank_account": [f"{account.name} is not active."]})
    return account


@transaction.atomic
def payments_record(
    *,
    kind: str,
    items: list[PaymentItem],
    recorded_by=None,
    source: str = PaymentSource.COUNTER,
    bank_account: BankAccount | None = None,
    today: datetime.date | None = None,
) -> list[PaymentResult]:
    """Validate all items, then post all of them, or raise PaymentsInvalid and post nothing.

    A reference already posted for the same payment (member, amount, period) is a retry: its record comes back
    with created=False — also when the first request is still committing as this one posts (the ledger waits
    for it, then answers "already posted"); a reference posted for another payment is a row error."""
    account = _bank_account(bank_account)
    checked = payments_validate(kind=kind, items=items, today=today)
    errors = [e for c in checked for e in c.errors]
    if errors:
        raise PaymentsInvalid(errors)
    credit_account, model, _ = KINDS[kind]
    label = "Share capital" if kind == SHARE_CAPITAL else "Monthly contribution"
    postings = []
    for c in checked:
        member = c.item.member
        what = f"{label} {member.membership_number}" + (f" for {format_period(c.period)}" if c.period else "")
        postings.append(
            Posting(
                memo=what,
                lines=[
                    Line(account.ledger_account.code, debit=c.amount, description=what),
                    Line(credit_account, credit=c.amount, member_id=member.pk, description=what),
                ],
                idempotency_key=c.key,
                date=c.date,
                source=c.item.reference,
            )
        )
    try:
        posted = ledger_post_many(postings=postings, posted_by=recorded_by)
    except IdempotencyConflict as exc:
        # Posted meanwhile by another request with other money (validation above ran before it committed).
        c = next(c for c in checked if c.key == exc.idempotency_key)
        raise PaymentsInvalid(
            [RowError(c.item.row, "reference", f"{c.item.reference!r} was already used for another payment.")]
        ) from exc
    repeated = [c for c, r in zip(checked, posted, strict=True) if not r.created]
    if repeated:
        # The ledger compared money; a payment also has a period. Check again what was posted meanwhile.
        _check_existing_references(kind, repeated)
        errors = [e for c in repeated for e in c.errors]
        if errors:
            raise PaymentsInvalid(errors)
    existing = {p.entry_id: p for p in model.objects.filter(entry__in=[r.entry for r in posted if not r.created])}
    new_records = []
    results = []
    for c, result in zip(checked, posted, strict=True):
        if not result.created:
            if result.entry.pk not in existing:  # the key's entry is not a payment of this kind
                raise PaymentsInvalid(
                    [RowError(c.item.row, "reference", f"{c.item.reference!r} was already used for another posting.")]
                )
            results.append(PaymentResult(existing[result.entry.pk], False))
            continue
        fields = dict(
            member=c.item.member,
            amount=c.amount,
            date=c.date,
            reference=c.item.reference.strip(),
            source=source,
            bank_account=account,
            recorded_by=recorded_by,
            entry=result.entry,
        )
        if kind == MONTHLY:
            fields.update(period=c.period, below_minimum_reason=c.item.below_minimum_reason.strip()[:255])
        record = model(**fields)
        new_records.append(record)
        results.append(PaymentResult(record, True))
    rows_insert(model, [instance_row(r) for r in new_records])
    for record in new_records:
        record._state.adding = False
    deltas: dict = {}
    for record in new_records:
        share, deposits = deltas.get(record.member_id, (Decimal("0"), Decimal("0")))
        if kind == MONTHLY:
            deposits += record.amount
        else:
            share += record.amount
        deltas[record.member_id] = (share, deposits)
    summaries_add(deltas=deltas)
    payments_received_queue(kind=kind, records=new_records, source=source)  # each member told once, after commit
    if recorded_by is not None:
        audit_log_many(
            instances=new_records,
            action=POST,
            by=recorded_by,
            summary_for=lambda r: f"{label} KES {r.amount:,.2f} from {r.member.membership_number}, ref. {r.reference}",
        )
    return results


def monthly_contribution_record(
    *,
    member: Member,
    amount,
    period,
    date: datetime.date | None = None,
    reference: str = "",
    below_minimum_reason: str = "",
    bank_account: BankAccount | None = None,
    recorded_by=None,
    source: str = PaymentSource.COUNTER,
) -> PaymentResult:
    """One monthly contribution (C2)."""
    item = PaymentItem(member, amount, period, date, reference, below_minimum_reason)
    return payments_record(
        kind=MONTHLY, items=[item], recorded_by=recorded_by, source=source, bank_account=bank_account
    )[0]


def share_capital_payment_record(
    *,
    member: Member,
    amount,
    date: datetime.date | None = None,
    reference: str = "",
    bank_account: BankAccount | None = None,
    recorded_by=None,
    source: str = PaymentSource.COUNTER,
) -> PaymentResult:
    """One share capital payment (C1)."""
    item = PaymentItem(member, amount, None, date, reference)
    return payments_record(
        kind=SHARE_CAPITAL, items=[item], recorded_by=recorded_by, source=source, bank_account=bank_account
    )[0]


class AlreadyReversed(ValidationError):
    pass


def _row_loan_money_back(row) -> bool:
    """Every loan posting made from this check-off row's loan repayment (`repayment:checkoff:<file>:<row>…`, and any
    `allocation:…` beyond the loans) is reversed, so its money is back in 2300 [member] (a loan repayment reversed in
    error, issue 16) and the row may be reversed as a whole. Read from the journal: this app does not read loans."""
    stem = f"checkoff:{row.checkoff.sha256[:16]}:{row.row_number}"
    postings = JournalEntry.objects.filter(
        Q(idempotency_key=f"repayment:{stem}")
        | Q(idempotency_key__startswith=f"repayment:{stem}:")
        | Q(idempotency_key__startswith=f"allocation:{stem}:")
    )
    return postings.exists() and not postings.filter(reversed_by__isnull=True).exists()


@transaction.atomic
def payment_reverse(*, payment: MonthlyContribution | ShareCapitalPayment, reason: str, reversed_by) -> None:
    """Correct a payment by a contra entry (C8): the posted entry stays, its mirror image is posted. When the
    entry carried several payments (a check-off row), all of them are reversed together."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Say why this payment is reversed."]})
    entry = payment.entry
    if hasattr(entry, "reversed_by"):
        raise AlreadyReversed("This payment has already been reversed.")
    row = getattr(entry, "checkoff_row", None)
    if row is not None and row.loan_allocated_at is not None and not _row_loan_money_back(row):
        raise ValidationError(
            "This check-off row's loan repayment was already applied to the member's loan; reversing the row "
            "would take the money back from 2300 while the loan keeps it. Correct it with an adjusting entry."
        )
    contra = ledger_reverse(entry=entry, posted_by=reversed_by, memo=f"Reversal: {reason}"[:255])
    member_ids = set(entry.lines.exclude(member=None).values_list("member_id", flat=True))
    summaries_refresh(member_ids=member_ids)
    audit_log(
        instance=payment,
        action=REVERSE,
        by=reversed_by,
        summary=f"KES {payment.amount:,.2f} ({payment.reference}) reversed by entry {contra.entry.pk}; {reason}",
    )


@transaction.atomic
def summaries_refresh(*, member_ids) -> None:
    """Recompute the cached share capital and deposits of these members from the ledger, in the database.

    The summary rows are locked first (in member order), so two postings to one member serialise here and the
    second reads the first's committed lines: concurrent postings lose nothing."""
    member_ids = sorted(set(member_ids), key=str)
    if not member_ids:
        return
    accounts = dict(
        Account.objects.filter(code__in=[SHARE_CAPITAL_ACCOUNT, DEPOSITS_ACCOUNT]).values_list("code", "pk")
    )

    def balance(code):
        net = (
            JournalLine.objects.filter(member=OuterRef("member_id"), account_id=accounts[code])
            .values("member")
            .annotate(net=Sum("credit") - Sum("debit"))
            .values("net")
        )
        return Coalesce(Subquery(net), Value(Decimal("0.00")), output_field=MONEY_FIELD)

    now = timezone.now()
    for start in range(0, len(member_ids), 2000):
        chunk = member_ids[start : start + 2000]
        have = set(MemberShareSummary.objects.filter(member_id__in=chunk).values_list("member_id", flat=True))
        MemberShareSummary.objects.bulk_create(
            [MemberShareSummary(member_id=m) for m in chunk if m not in have], ignore_conflicts=True
        )
        list(
            MemberShareSummary.objects.select_for_update()
            .filter(member_id__in=chunk)
            .order_by("member_id")
            .values_list("pk")
        )
        MemberShareSummary.objects.filter(member_id__in=chunk).update(
            share_capital=balance(SHARE_CAPITAL_ACCOUNT), deposits=balance(DEPOSITS_ACCOUNT), updated_at=now
        )


@transaction.atomic
def summaries_add(*, deltas: dict) -> None:
    """Add what was just posted — {member_id: (share_capital, deposits)} — to the cached summaries.

    Rows are locked in member order first (no deadlock between two large postings); the addition itself is one
    UPDATE … FROM (VALUES …) per thousand members, so a 10,000-row check-off file costs a handful of statements.
    The ledger stays the source of truth: `ledger_check` compares, `recalculate_shares` rebuilds."""
    if not deltas:
        return
    from django.db import connection

    if connection.vendor == "postgresql" and len(deltas) > SET_BASED_SUMMARIES_FROM:
        _summaries_add_set_based(deltas=deltas)
        return
    member_ids = sorted(deltas, key=str)
    postgres = connection.vendor == "postgresql"
    row_sql = "(%s::uuid, %s::numeric, %s::numeric)" if postgres else "(%s, %s, %s)"
    table = connection.ops.quote_name(MemberShareSummary._meta.db_table)
    now = timezone.now()
    for start in range(0, len(member_ids), 1000):
        chunk = member_ids[start : start + 1000]
        have = set(MemberShareSummary.objects.filter(member_id__in=chunk).values_list("member_id", flat=True))
        missing = [m for m in chunk if m not in have]
        if missing:
            # New summaries start from the ledger, which already holds this posting; nothing to add for them.
            summaries_refresh(member_ids=missing)
        chunk = [m for m in chunk if m in have]
        if not chunk:
            continue
        list(
            MemberShareSummary.objects.select_for_update()
            .filter(member_id__in=chunk)
            .order_by("member_id")
            .values_list("pk")
        )
        params = [connection.ops.adapt_datetimefield_value(now)]
        for member_id in chunk:
            share, deposits = deltas[member_id]
            params += [member_id if postgres else member_id.hex, str(share), str(deposits)]
        values = ", ".join([row_sql] * len(chunk))
        sql = (
            f"UPDATE {table} SET share_capital = share_capital + v.column2, deposits = deposits + v.column3, "  # noqa: S608
            f"updated_at = %s FROM (VALUES {values}) AS v WHERE member_id = v.column1"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


SET_BASED_SUMMARIES_FROM = 1000  # members; below it, a few statements per thousand are as quick


def _summaries_add_set_based(*, deltas: dict) -> None:
    """`summaries_add` for many members on PostgreSQL (a 100,000-row check-off file): the deltas go by COPY into a
    temporary table and four statements do the rest — summaries missing are inserted (ON CONFLICT DO NOTHING: one
    created meanwhile by another transaction counts as existing), the existing ones are locked in member order and
    have the deltas added, and the new ones are computed from the ledger (which already holds this posting), as
    `summaries_refresh` does — instead of a few statements per thousand members."""
    from django.db import connection

    accounts = dict(
        Account.objects.filter(code__in=[SHARE_CAPITAL_ACCOUNT, DEPOSITS_ACCOUNT]).values_list("code", "pk")
    )
    share_account, deposits_account = accounts[SHARE_CAPITAL_ACCOUNT], accounts[DEPOSITS_ACCOUNT]
    table = connection.ops.quote_name(MemberShareSummary._meta.db_table)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS pg_temp.summary_deltas")
        cursor.execute(
            "CREATE TEMP TABLE summary_deltas (member_id uuid PRIMARY KEY, share numeric(14, 2) NOT NULL, "
            "deposits numeric(14, 2) NOT NULL, fresh boolean NOT NULL DEFAULT false) ON COMMIT DROP"
        )
        with cursor.cursor.copy("COPY summary_deltas (member_id, share, deposits) FROM STDIN") as copy:
            for member_id, (share, deposits) in deltas.items():
                copy.write_row((member_id, share, deposits))
        cursor.execute(
            f"WITH fresh AS (INSERT INTO {table} (member_id, share_capital, deposits, updated_at) "  # noqa: S608
            "SELECT d.member_id, 0, 0, %s FROM summary_deltas d "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} s WHERE s.member_id = d.member_id) ORDER BY d.member_id "
            "ON CONFLICT (member_id) DO NOTHING RETURNING member_id) "
            "UPDATE summary_deltas d SET fresh = true FROM fresh WHERE d.member_id = fresh.member_id",
            [now],
        )
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {table} s JOIN summary_deltas d ON d.member_id = s.member_id "  # noqa: S608
            "WHERE NOT d.fresh ORDER BY s.member_id FOR UPDATE OF s) locked"
        )
        cursor.execute(
            f"UPDATE {table} s SET share_capital = s.share_capital + d.share, deposits = s.deposits + d.deposits, "  # noqa: S608
            "updated_at = %s FROM summary_deltas d WHERE s.member_id = d.member_id AND NOT d.fresh",
            [now],
        )
        cursor.execute(
            f"UPDATE {table} s SET share_capital = COALESCE(x.share, 0), deposits = COALESCE(x.deposits, 0), "  # noqa: S608
            "updated_at = %s FROM summary_deltas d LEFT JOIN ("
            "SELECT l.member_id, SUM(CASE WHEN l.account_id = %s THEN l.credit - l.debit ELSE 0 END) AS share, "
            "SUM(CASE WHEN l.account_id = %s THEN l.credit - l.debit ELSE 0 END) AS deposits "
            "FROM finance_journalline l JOIN summary_deltas f ON f.member_id = l.member_id AND f.fresh "
            "WHERE l.account_id IN (%s, %s) GROUP BY l.member_id) x ON x.member_id = d.member_id "
            "WHERE s.member_id = d.member_id AND d.fresh",
            [now, share_account, deposits_account, share_account, deposits_account],
        )
        cursor.execute("DROP TABLE summary_deltas")


@transaction.atomic
def shares_recalculate() -> int:
    """Rebuild every member's summary from the ledger (C5). Returns how many members were refreshed."""
    member_ids = list(Member.objects.values_list("pk", flat=True))
    summaries_refresh(member_ids=member_ids)
    return len(member_ids)


def _schedule(member: Member) -> MemberContributionSchedule:
    schedule, _ = MemberContributionSchedule.objects.get_or_create(
        member=member, defaults={"share_capital_term_months": default_share_capital_term()}
    )
    return schedule


def share_capital_term_set(*, member: Member, term_months, updated_by=None) -> MemberContributionSchedule:
    """Choose 12 or 24 months to complete share capital (C1)."""
    try:
        term = int(term_months)
    except (TypeError, ValueError):
        term = None
    if term not in ShareCapitalTerm.values:
        raise ValidationError({"term_months": [f"{term_months!r} is not a term; choose 12 or 24 months."]})
    schedule = _schedule(member)
    before = field_snapshot(schedule, ["share_capital_term_months"])
    schedule.share_capital_term_months = term
    schedule.updated_by = updated_by
    schedule.save(update_fields=["share_capital_term_months", "updated_by", "updated_at"])
    audit_log(
        instance=schedule,
        action=EDIT,
        by=updated_by,
        before=before,
        after=field_snapshot(schedule, ["share_capital_term_months"]),
    )
    return schedule


def contribution_schedule_set(*, member: Member, monthly_amount, updated_by=None) -> MemberContributionSchedule:
    """Set the member's own monthly amount (C2); blank means the SACCO minimum; below the minimum is refused."""
    amount = None
    if monthly_amount not in (None, ""):
        try:
            amount = parse_amount(str(monthly_amount))
        except InvalidAmount as exc:
            raise ValidationError({"monthly_amount": [str(exc)]}) from exc
        minimum = contribution_due(None)
        if amount < minimum:
            raise ValidationError(
                {"monthly_amount": [f"{format_money(amount)} is below the minimum of {format_money(minimum)}."]}
            )
    schedule = _schedule(member)
    before = field_snapshot(schedule, ["monthly_amount"])
    schedule.monthly_amount = amount
    schedule.updated_by = updated_by
    schedule.save(update_fields=["monthly_amount", "updated_by", "updated_at"])
    audit_log(
        instance=schedule, action=EDIT, by=updated_by, before=before, after=field_snapshot(schedule, ["monthly_amount"])
    )
    return schedule
