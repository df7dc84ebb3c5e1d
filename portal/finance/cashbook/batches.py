"""Transaction batches (T3): lines entered together, validated (every line's problems named), then processed in
one transaction — every line posts or none does. Each line's reference defaults to `batch-<id>-<line>`, so a
batch cannot post twice even if processing is retried.

Finance posts the expense and income lines itself. The other kinds (a member's contribution, share capital) belong
to apps above finance, which cannot be named here (issue 13): each registers, in its AppConfig.ready(), a poster for
its kind:

    batch_line_posters.register(BatchItemKind.CONTRIBUTION, contribution_lines_post)

A poster is called as `poster(batch=..., lines=..., by=...)` with the batch's lines of its kind (in line order),
posts all of them or none, sets each posted line's `entry`, and returns the problems as LineErrors (an empty list
when all posted). A line of a kind nobody registered is refused, naming the line and its "kind".
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal.audit.services import ACTION, POST, audit_log
from portal.finance.banking.models import BankAccount
from portal.society.errors import StateConflict

from .models import BatchItem, BatchItemKind, BatchStatus, ExpenseCategory, IncomeCategory, TransactionBatch
from .services import expense_record, income_record

ITEM_FIELDS = ("kind", "member", "category", "amount", "period", "date", "counterparty", "description", "reference")
OWN_KINDS = (BatchItemKind.EXPENSE, BatchItemKind.INCOME)


class BatchNotProcessable(StateConflict):
    """The batch has already been processed (a StateConflict, so a ValidationError too, as callers expect)."""


@dataclass(frozen=True)
class LineError:
    line: int
    field: str
    message: str

    def as_dict(self):
        return {"line": self.line, "field": self.field, "message": self.message}


LinePoster = Callable[..., list[LineError]]


class BatchLinePosters:
    """The posters of the line kinds finance does not post itself, by kind (see the module's docstring)."""

    def __init__(self):
        self._posters: dict[str, LinePoster] = {}

    def register(self, kind: str, poster: LinePoster) -> None:
        """Post lines of `kind` with `poster`. The same poster again is a no-op (Django may run ready() more than
        once); another poster for a kind already taken is refused, so two apps cannot replace each other's unnoticed.
        Finance's own kinds (expense, income) and kinds that are not line kinds are refused too."""
        if kind not in BatchItemKind.values:
            raise ValueError(f"{kind!r} is not a batch line kind.")
        if kind in OWN_KINDS:
            raise ValueError(f"Finance posts {kind!r} lines itself.")
        existing = self._posters.get(kind)
        if existing is not None and existing is not poster:
            raise ValueError(f"A poster for {kind!r} batch lines is already registered.")
        self._posters[kind] = poster

    def registered(self) -> dict[str, LinePoster]:
        return dict(self._posters)


batch_line_posters = BatchLinePosters()


class _Refused(Exception):
    """Raised inside batch_process's savepoint when a line failed, so that every line's posting rolls back."""


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


def batch_line_reference(batch: TransactionBatch, item: BatchItem) -> str:
    """The reference a line posts under: its own, or `batch-<id>-<line>` (so a retried batch cannot post twice)."""
    return item.reference or f"batch-{batch.pk}-{item.line}"


def _own_line_post(batch: TransactionBatch, item: BatchItem, *, by) -> list[LineError]:
    """Post one expense or income line."""
    is_expense = item.kind == BatchItemKind.EXPENSE
    model = ExpenseCategory if is_expense else IncomeCategory
    category = model.objects.filter(name__iexact=item.category.strip()).first()
    if category is None:
        return [LineError(item.line, "category", f"No {item.get_kind_display().lower()} category {item.category!r}.")]
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
                    reference=batch_line_reference(batch, item),
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
                    reference=batch_line_reference(batch, item),
                    recorded_by=by,
                )
    except ValidationError as exc:
        return [
            LineError(item.line, "counterparty" if field in ("payee", "payer") else field, message)
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    item.entry = record.entry
    return []


def _run(batch: TransactionBatch, *, by) -> list[LineError]:
    """Post every line; return the errors. Callers roll back when there are any."""
    items = list(batch.items.all())
    posters = batch_line_posters.registered()
    errors: list[LineError] = []
    for item in items:
        if item.kind not in BatchItemKind.values:
            errors.append(LineError(item.line, "kind", f"{item.kind!r} is not a line kind."))
        elif item.kind not in OWN_KINDS and item.kind not in posters:
            errors.append(
                LineError(item.line, "kind", f"{item.get_kind_display()} lines cannot be posted: no app posts them.")
            )
    for kind, poster in posters.items():
        lines = [i for i in items if i.kind == kind]
        if lines:
            errors += poster(batch=batch, lines=lines, by=by)
    for item in items:
        if item.kind in OWN_KINDS:
            errors += _own_line_post(batch, item, by=by)
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
                    raise _Refused
        except _Refused:
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
