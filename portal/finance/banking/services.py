"""Bank account services: create with its ledger account, change its details, and switch the primary account
atomically."""

from django.core.exceptions import ValidationError
from django.db import transaction

from portal.audit.changes import field_snapshot
from portal.audit.services import EDIT, audit_log
from portal.finance.ledger.models import Account, AccountType

from .models import BankAccount

LEDGER_RANGE = range(1010, 1100)


def _next_ledger_code() -> str:
    used = set(Account.objects.filter(code__regex=r"^10[1-9][0-9]$").values_list("code", flat=True))
    for code in LEDGER_RANGE:
        if str(code) not in used:
            return str(code)
    raise ValidationError("No free ledger code between 1010 and 1099 for another bank account.")


@transaction.atomic
def bank_account_create(
    *,
    name: str,
    kind: str,
    bank_name: str = "",
    branch: str = "",
    account_number: str = "",
    ledger_code: str | None = None,
) -> BankAccount:
    """A new bank/M-Pesa/cash account and its asset account in the ledger (or an existing unused one)."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": ["Name is required."]})
    if BankAccount.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": [f"A bank account called {name} already exists."]})
    if ledger_code:
        account = Account.objects.filter(code=ledger_code, type=AccountType.ASSET).first()
        if account is None or hasattr(account, "bank_account"):
            raise ValidationError({"ledger_code": [f"{ledger_code} is not a free asset account."]})
    else:
        account = Account.objects.create(code=_next_ledger_code(), name=name[:120], type=AccountType.ASSET)
    bank_account = BankAccount(
        name=name,
        kind=kind,
        bank_name=bank_name.strip(),
        branch=branch.strip(),
        account_number=account_number.strip(),
        ledger_account=account,
    )
    bank_account.full_clean()
    bank_account.save()
    if not BankAccount.objects.filter(is_primary=True).exists():
        bank_account_set_primary(bank_account=bank_account)
        bank_account.refresh_from_db()
    return bank_account


@transaction.atomic
def bank_account_update(
    *,
    bank_account: BankAccount,
    name: str,
    kind: str,
    bank_name: str = "",
    branch: str = "",
    account_number: str = "",
    by,
) -> BankAccount:
    """Change an account's details, with the same checks as `bank_account_create`; its ledger account (and so its
    balance) stays. The audit trail gets the before and after."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["Name is required."]})
    if BankAccount.objects.filter(name__iexact=name).exclude(pk=bank_account.pk).exists():
        raise ValidationError({"name": [f"A bank account called {name} already exists."]})
    stored = BankAccount.objects.select_for_update().get(pk=bank_account.pk)
    before = field_snapshot(stored)
    stored.name = name
    stored.kind = kind
    stored.bank_name = (bank_name or "").strip()
    stored.branch = (branch or "").strip()
    stored.account_number = (account_number or "").strip()
    stored.full_clean()
    stored.save(update_fields=["name", "kind", "bank_name", "branch", "account_number"])
    audit_log(instance=stored, action=EDIT, by=by, before=before, after=field_snapshot(stored))
    return stored


@transaction.atomic
def bank_account_set_primary(*, bank_account: BankAccount) -> BankAccount:
    """Make this the one primary account. Rows are locked so two switches at once leave exactly one primary."""
    accounts = list(BankAccount.objects.select_for_update().order_by("pk"))
    target = next((a for a in accounts if a.pk == bank_account.pk), None)
    if target is None or not target.active:
        raise ValidationError("Only an active bank account can be primary.")
    BankAccount.objects.filter(is_primary=True).exclude(pk=target.pk).update(is_primary=False)
    BankAccount.objects.filter(pk=target.pk).update(is_primary=True)
    target.is_primary = True
    return target


def bank_account_primary() -> BankAccount | None:
    return BankAccount.objects.filter(is_primary=True, active=True).select_related("ledger_account").first()
