"""Transaction batches (T3): lines entered together, validated (every line's problems named), then processed in
one transaction — every line posts or none does. Each line's reference defaults to `batch-<id>-<line>`, so a
batch cannot post twice even if processing is retried."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal.audit.services import ACTION, POST, audit_log
from portal.contributions.services import MONTHLY, SHARE_CAPITAL, PaymentItem, PaymentsInvalid, payments_record
from portal.finance.banking.models import BankAccount
from portal.members.models import Member

from .models import BatchItem, BatchItemKind, BatchStatus, ExpenseCategory, IncomeCategory, TransactionBatch
from .services import expense_record, income_record

ITEM_FIELDS = ("kind", "member", "category", "amount", "period", "date", "counterparty", "description", "reference")


class BatchNotProcessable(ValidationError):
    pass


@dataclass(frozen=True)
class LineError:
    line: int
    field: str
    message: str

    def as_dict(self):
        return {"line": self.line, "field": self.field, "message": self.message}


@transaction.atomic
def batch_create(*, name: str, bank_account: BankAccount, items: list[dict], created_by=None) -> TransactionBatch:
    """Store a batch as entered. Nothing is posted until `batch_process`."""
    if not (name or "").strip():
        raise ValidationError({"name": ["Name the batch."]})
    if not items:
        raise ValidationError({"items": ["A batch needs at least one line."]})
    batch = TransactionBatch.objects.create(name=name.strip(), bank_account=bank_account, created_by=created_by)
    BatchItem.objects.bulk_create(
        [
            BatchItem(
                batch=batch, line=number, **{k: item.get(k) or ("" if k != "date" else None) for k in ITEM_FIELDS}
            )
            for number, item in enumerate(items, start=1)
        ]
    )
    return batch


def _reference(batch: TransactionBatch, item: BatchItem) -> str:
    return item.reference or f"batch-{batch.pk}-{item.line}"


def _run(batch: TransactionBatch, *, by) -> list[LineError]:
    """Post every line; return the errors. Callers roll back when there are any."""
    items = list(batch.items.all())
    errors: list[LineError] = []
    for item in items:
        if item.kind not in BatchItemKind.values:
            errors.append(LineError(item.line, "kind", f"{item.kind!r} is not a line kind."))
    members = {
        m.membership_number: m
        for m in Member.objects.filter(membership_number__in=[i.member.strip().upper() for i in items if i.member])
    }
    for kind, service_kind in ((BatchItemKind.CONTRIBUTION, MONTHLY), (BatchItemKind.SHARE_CAPITAL, SHARE_CAPITAL)):
        lines = [i for i in items if i.kind == kind]
        if not lines:
            continue
        payment_items = [
            PaymentItem(
                members.get(i.member.strip().upper()),
                i.amount,
                i.period if kind == BatchItemKind.CONTRIBUTION else None,
                i.date,
                _reference(batch, i),
                row=i.line,
                member_label=i.member,
            )
            for i in lines
        ]
        try:
            with transaction.atomic():
                results = payments_record(
                    kind=service_kind,
                    items=payment_items,
                    recorded_by=by,
                    source="batch",
                    bank_account=batch.bank_account,
                )
            for item, result in zip(lines, results, strict=True):
                item.entry = result.record.entry
        except PaymentsInvalid as exc:
            errors += [LineError(e.row, e.field, e.message) for e in exc.row_errors]
    for item in items:
        if item.kind not in (BatchItemKind.EXPENSE, BatchItemKind.INCOME):
            continue
        is_expense = item.kind == BatchItemKind.EXPENSE
        model = ExpenseCategory if is_expense else IncomeCategory
        category = model.objects.filter(name__iexact=item.category.strip()).first()
        if category is None:
            errors.append(
                LineError(item.line, "category", f"No {item.get_kind_display().lower()} category {item.category!r}.")
            )
            continue
        try:
            with transaction.atomic():
                if is_expense:
                    record, _ = expense_record(
                        category=category,
                        amount=item.amount,
                        payee=item.counterparty,
                        description=item.description,
                        bank_account=batch.bank_account,
                        date=item.date,
                        reference=_reference(batch, item),
                        recorded_by=by,
                    )
                else:
                    record, _ = income_record(
                        category=category,
                        amount=item.amount,
                        payer=item.counterparty,
                        description=item.description,
                        bank_account=batch.bank_account,
                        date=item.date,
                        reference=_reference(batch, item),
                        recorded_by=by,
                    )
            item.entry = record.entry
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors += [
                    LineError(item.line, "counterparty" if field in ("payee", "payer") else field, m) for m in messages
                ]
    if not errors:
        BatchItem.objects.bulk_update(items, ["entry"])
    return sorted(errors, key=lambda e: e.line)


def batch_validate(*, batch: TransactionBatch) -> list[LineError]:
    """Dry run: post everything inside a transaction that is always rolled back; record the outcome."""
    if batch.status == BatchStatus.PROCESSED:
        raise BatchNotProcessable("This batch has already been processed.")

    class _Rollback(Exception):
        pass

    errors: list[LineError] = []
    try:
        with transaction.atomic():
            errors = _run(batch, by=None)
            raise _Rollback
    except _Rollback:
        pass
    TransactionBatch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.INVALID if errors else BatchStatus.VALIDATED,
        errors=[e.as_dict() for e in errors],
        validated_at=timezone.now(),
    )
    batch.refresh_from_db()
    return errors


def batch_process(*, batch: TransactionBatch, processed_by) -> list[LineError]:
    """Post every line or none. Returns the errors (empty when processed). The batch row is locked, so two
    processes at once post once."""
    errors: list[LineError] = []
    with transaction.atomic():
        locked = TransactionBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status == BatchStatus.PROCESSED:
            raise BatchNotProcessable("This batch has already been processed.")
        try:
            with transaction.atomic():
                errors = _run(locked, by=processed_by)
                if errors:
                    raise PaymentsInvalid([])
        except PaymentsInvalid:
            pass
        if errors:
            locked.status = BatchStatus.INVALID
            locked.errors = [e.as_dict() for e in errors]
        else:
            locked.status = BatchStatus.PROCESSED
            locked.errors = []
            locked.processed_by = processed_by
            locked.processed_at = timezone.now()
        locked.save(update_fields=["status", "errors", "processed_by", "processed_at"])
        audit_log(
            instance=locked,
            action=POST if not errors else ACTION,
            by=processed_by,
            summary=f"Batch “{locked.name}” posted"
            if not errors
            else f"Batch “{locked.name}” refused: {len(errors)} errors",
        )
    batch.refresh_from_db()
    return errors
