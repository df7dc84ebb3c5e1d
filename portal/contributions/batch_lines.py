"""The batch lines that are a member's savings (T3): finance's cashbook batches post expense and income lines
themselves and ask the apps above for the rest (portal/finance/cashbook/batches.py). Contributions posts the
"contribution" and "share_capital" lines, each kind in one `payments_record` call: all of its lines or none.
Registered in ContributionsConfig.ready()."""

from django.db import transaction

from portal.finance.cashbook.batches import LineError, batch_line_reference
from portal.finance.cashbook.models import BatchItem, TransactionBatch
from portal.members.models import Member

from .services import MONTHLY, SHARE_CAPITAL, PaymentItem, PaymentsInvalid, payments_record


def _members(lines: list[BatchItem]) -> dict[str, Member]:
    numbers = [line.member.strip().upper() for line in lines if line.member]
    return {m.membership_number: m for m in Member.objects.filter(membership_number__in=numbers)}


def _lines_post(*, kind: str, batch: TransactionBatch, lines: list[BatchItem], by) -> list[LineError]:
    members = _members(lines)
    items = [
        PaymentItem(
            members.get(line.member.strip().upper()),
            line.amount,
            line.period if kind == MONTHLY else None,
            line.date,
            batch_line_reference(batch, line),
            row=line.line,
            member_label=line.member,
        )
        for line in lines
    ]
    try:
        with transaction.atomic():
            results = payments_record(
                kind=kind, items=items, recorded_by=by, source="batch", bank_account=batch.bank_account
            )
    except PaymentsInvalid as exc:
        return [LineError(e.row, e.field, e.message) for e in exc.row_errors]
    for line, result in zip(lines, results, strict=True):
        line.entry = result.record.entry
    return []


def contribution_lines_post(*, batch: TransactionBatch, lines: list[BatchItem], by) -> list[LineError]:
    """Monthly contributions: each line names a member, an amount and the period it pays."""
    return _lines_post(kind=MONTHLY, batch=batch, lines=lines, by=by)


def share_capital_lines_post(*, batch: TransactionBatch, lines: list[BatchItem], by) -> list[LineError]:
    """Share capital: each line names a member and an amount (no period)."""
    return _lines_post(kind=SHARE_CAPITAL, batch=batch, lines=lines, by=by)
