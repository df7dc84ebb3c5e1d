"""The chart of accounts as staff change it: an account's code, name, type, parent and flags, checked and logged
in one place. Balances are not edited here: they move only through ledger posting."""

from django.core.exceptions import ValidationError
from django.db import transaction

from portal.audit.changes import field_snapshot
from portal.audit.services import EDIT, audit_log

from .models import Account


def _refuse_a_loop(account: Account, parent: Account | None) -> None:
    """An account cannot sit under itself or under one of its own sub-accounts."""
    seen = set()
    while parent is not None and parent.pk not in seen:
        if parent.pk == account.pk:
            raise ValidationError({"parent": ["An account cannot sit under itself or one of its sub-accounts."]})
        seen.add(parent.pk)
        parent = parent.parent


@transaction.atomic
def account_update(
    *,
    account: Account,
    code: str,
    name: str,
    account_type: str,
    parent: Account | None = None,
    is_contra: bool = False,
    active: bool = True,
    by,
) -> Account:
    """Change one account of the chart. The model's checks (a unique code, a known type) name each bad field; the
    audit trail gets the before and after."""
    stored = Account.objects.select_for_update().get(pk=account.pk)
    _refuse_a_loop(stored, parent)
    before = field_snapshot(stored)
    stored.code = (code or "").strip()
    stored.name = (name or "").strip()
    stored.type = account_type
    stored.parent = parent
    stored.is_contra = bool(is_contra)
    stored.active = bool(active)
    stored.full_clean()
    stored.save(update_fields=["code", "name", "type", "parent", "is_contra", "active"])
    audit_log(instance=stored, action=EDIT, by=by, before=before, after=field_snapshot(stored))
    return stored
