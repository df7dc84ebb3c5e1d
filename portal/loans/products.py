"""Loan products (L1) as staff change them: the product's terms are checked, saved and recorded in the audit trail
with their before and after values, in one place. Changing a product never changes loans already given."""

from django.core.exceptions import ValidationError
from django.db import transaction

from portal.audit.changes import field_snapshot
from portal.audit.services import EDIT, audit_log

from .models import LoanProduct

EDITABLE = frozenset(f.name for f in LoanProduct._meta.concrete_fields if f.editable and not f.primary_key)


@transaction.atomic
def loan_product_update(*, product: LoanProduct, changes: dict, by) -> LoanProduct:
    """Apply `changes` ({field: value}) to the product. The model's checks (rate limits, shortest ≤ longest term,
    smallest ≤ largest amount, unique name and slug) name each bad field; only what changed is logged."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationError(f"Not a product term: {', '.join(sorted(unknown))}.")
    stored = LoanProduct.objects.select_for_update().get(pk=product.pk)
    before = field_snapshot(stored)
    for field, value in changes.items():
        setattr(stored, field, value)
    stored.full_clean()
    if changes:
        stored.save(update_fields=list(changes))
    stored.refresh_from_db()  # the values as stored (rates to four places), as the trail records them
    audit_log(instance=stored, action=EDIT, by=by, before=before, after=field_snapshot(stored))
    return stored
