"""Expenses, income and transaction costs (T2): each a balanced entry through the ledger, idempotent by reference."""

import datetime
import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal.audit.changes import field_snapshot
from portal.audit.services import EDIT, POST, audit_log
from portal.finance.banking.models import BankAccount
from portal.finance.banking.services import bank_account_primary
from portal.finance.ledger.models import Account, AccountType
from portal.finance.ledger.services import IdempotencyConflict, Line, ledger_post
from portal.society.file_types import sniff_content_type
from portal.society.money import InvalidAmount, parse_amount

from .models import ExpenseCategory, IncomeCategory, SaccoExpense, SaccoIncome

TRANSACTION_COSTS_ACCOUNT = "5100"
RECEIPT_MAX_BYTES = 5 * 1024 * 1024


def _child_account(*, parent_code: str, name: str, account_type: str, codes: range) -> Account:
    parent = Account.objects.get(code=parent_code)
    used = set(Account.objects.filter(code__in=[str(c) for c in codes]).values_list("code", flat=True))
    free = next((str(c) for c in codes if str(c) not in used), None)
    if free is None:
        raise ValidationError({"name": [f"No free ledger code under {parent_code} for another category."]})
    return Account.objects.create(code=free, name=name[:120], type=account_type, parent=parent)


@transaction.atomic
def expense_category_create(*, name: str) -> ExpenseCategory:
    """A category and its own expense account (5001–5099, under 5000 Operating expenses)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["Name is required."]})
    if ExpenseCategory.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": [f"An expense category called {name} already exists."]})
    account = _child_account(parent_code="5000", name=name, account_type=AccountType.EXPENSE, codes=range(5001, 5100))
    return ExpenseCategory.objects.create(name=name, ledger_account=account)


@transaction.atomic
def income_category_create(*, name: str) -> IncomeCategory:
    """A category and its own income account (4901–4999, under 4900 Other income)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["Name is required."]})
    if IncomeCategory.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": [f"An income category called {name} already exists."]})
    account = _child_account(parent_code="4900", name=name, account_type=AccountType.INCOME, codes=range(4901, 5000))
    return IncomeCategory.objects.create(name=name, ledger_account=account)


def _category_rename(*, model, category, name: str, by):
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["Name is required."]})
    if model.objects.filter(name__iexact=name).exclude(pk=category.pk).exists():
        raise ValidationError({"name": [f"An {model._meta.verbose_name} called {name} already exists."]})
    stored = model.objects.select_for_update().get(pk=category.pk)
    before = field_snapshot(stored)
    stored.name = name
    stored.save(update_fields=["name"])
    audit_log(instance=stored, action=EDIT, by=by, before=before, after=field_snapshot(stored))
    return stored


@transaction.atomic
def expense_category_update(*, category: ExpenseCategory, name: str, by) -> ExpenseCategory:
    """Rename a category (the same checks as creating one); its ledger account stays as it is. Logged with the
    before and after."""
    return _category_rename(model=ExpenseCategory, category=category, name=name, by=by)


@transaction.atomic
def income_category_update(*, category: IncomeCategory, name: str, by) -> IncomeCategory:
    """Rename a category (the same checks as creating one); its ledger account stays as it is. Logged with the
    before and after."""
    return _category_rename(model=IncomeCategory, category=category, name=name, by=by)


def _amount(raw, field: str, errors: dict, *, allow_zero=False) -> Decimal:
    if raw in (None, "") and allow_zero:
        return Decimal("0.00")
    try:
        if isinstance(raw, float):
            raise InvalidAmount("Amounts must not be floats.")
        return parse_amount(str(raw), allow_zero=allow_zero)
    except InvalidAmount as exc:
        errors[field] = [str(exc)]
        return Decimal("0.00")


def _check_receipt(receipt, errors: dict) -> str:
    if not receipt:
        return ""
    if receipt.size > RECEIPT_MAX_BYTES:
        errors["receipt"] = ["The receipt is larger than 5 MB."]
        return ""
    receipt.seek(0)
    sniffed = sniff_content_type(receipt.read(16))
    receipt.seek(0)
    if sniffed is None:
        errors["receipt"] = ["A receipt must be a PDF, JPEG or PNG file."]
        return ""
    return sniffed[0]


def _cashbook_record(
    *,
    model,
    key_prefix: str,
    counterparty_field: str,
    counterparty: str,
    category,
    amount,
    description: str,
    bank_account: BankAccount | None,
    transaction_cost,
    date: datetime.date | None,
    reference: str,
    receipt,
    recorded_by,
    lines,
):
    """What expenses and income share: check every field (errors named together), post once per reference,
    keep the receipt. `lines(amount, cost, bank_code)` gives the entry's lines.

    The reference is a receipt number a person typed, so the same number again is either a retry (same amounts,
    accounts and counterparty: the first record is returned, created=False) or a mistake (anything else: a
    ValidationError on `reference` naming the number; nothing is posted)."""
    errors: dict[str, list[str]] = {}
    amount = _amount(amount, "amount", errors)
    cost = _amount(transaction_cost, "transaction_cost", errors, allow_zero=True)
    account = bank_account or bank_account_primary()
    if account is None or not account.active:
        errors["bank_account"] = ["Choose an active bank account."]
    day = date or timezone.localdate()
    if day > timezone.localdate():
        errors["date"] = [f"{day.isoformat()} is in the future."]
    if not (description or "").strip():
        errors["description"] = ["Say what this was for."]
    if not (counterparty or "").strip():
        errors[counterparty_field] = ["Required."]
    if len((reference or "").strip()) > 100:
        errors["reference"] = ["The reference is longer than 100 characters."]
    if category is None or not category.active:
        errors["category"] = ["Choose an active category."]
    content_type = _check_receipt(receipt, errors)
    if errors:
        raise ValidationError(errors)
    reference = (reference or "").strip()
    key = f"{key_prefix}:{reference}" if reference else f"{key_prefix}:auto:{uuid.uuid4()}"
    noun = "expense" if key_prefix == "expense" else "income entry"
    reused = ValidationError(
        {"reference": [f"Receipt number {reference} was already used for a different {noun}; nothing was posted."]}
    )
    try:
        result = ledger_post(
            memo=f"{category.name}: {description}",
            lines=lines(amount, cost, account.ledger_account.code),
            idempotency_key=key,
            posted_by=recorded_by,
            date=day,
            source=reference,
        )
    except IdempotencyConflict as exc:
        raise reused from exc
    if not result.created:
        # The same reference with the same money (accounts and amounts): a retry of the same record, unless the
        # record says it was paid to or received from someone else.
        existing = model.objects.filter(entry=result.entry).first()
        if existing is None or getattr(existing, counterparty_field).casefold() != counterparty.strip().casefold():
            raise reused
        return existing, False
    record = model(
        date=day,
        category=category,
        amount=amount,
        transaction_cost=cost,
        bank_account=account,
        description=description.strip(),
        reference=reference,
        receipt_content_type=content_type,
        recorded_by=recorded_by,
        entry=result.entry,
        **{counterparty_field: counterparty.strip()},
    )
    if receipt:
        record.receipt.save(receipt.name, receipt, save=False)
    record.save()
    if recorded_by is not None:
        audit_log(
            instance=record,
            action=POST,
            by=recorded_by,
            summary=f"{model._meta.verbose_name.capitalize()} KES {record.amount:,.2f}, {counterparty}: {description}",
        )
    return record, True


@transaction.atomic
def expense_record(
    *,
    category: ExpenseCategory,
    amount,
    payee: str,
    description: str,
    bank_account: BankAccount | None = None,
    transaction_cost="0",
    date: datetime.date | None = None,
    reference: str = "",
    receipt=None,
    recorded_by=None,
) -> tuple[SaccoExpense, bool]:
    """Dr expense / Cr bank, plus Dr 5100 / Cr bank for the transaction cost. Returns (expense, created)."""

    def lines(amount, cost, bank):
        result = [Line(category.ledger_account.code, debit=amount, description=description)]
        if cost > 0:
            result.append(Line(TRANSACTION_COSTS_ACCOUNT, debit=cost, description=f"Charge: {description}"))
        return [*result, Line(bank, credit=amount + cost, description=f"Paid to {payee}")]

    return _cashbook_record(
        model=SaccoExpense,
        key_prefix="expense",
        counterparty_field="payee",
        counterparty=payee,
        category=category,
        amount=amount,
        description=description,
        bank_account=bank_account,
        transaction_cost=transaction_cost,
        date=date,
        reference=reference,
        receipt=receipt,
        recorded_by=recorded_by,
        lines=lines,
    )


@transaction.atomic
def income_record(
    *,
    category: IncomeCategory,
    amount,
    payer: str,
    description: str,
    bank_account: BankAccount | None = None,
    transaction_cost="0",
    date: datetime.date | None = None,
    reference: str = "",
    receipt=None,
    recorded_by=None,
) -> tuple[SaccoIncome, bool]:
    """Dr bank / Cr income; a charge deducted by the bank is Dr 5100 / Cr bank. Returns (income, created)."""

    def lines(amount, cost, bank):
        result = [
            Line(bank, debit=amount, description=f"From {payer}"),
            Line(category.ledger_account.code, credit=amount, description=description),
        ]
        if cost > 0:
            result += [
                Line(TRANSACTION_COSTS_ACCOUNT, debit=cost, description=f"Charge: {description}"),
                Line(bank, credit=cost, description=f"Charge: {description}"),
            ]
        return result

    return _cashbook_record(
        model=SaccoIncome,
        key_prefix="income",
        counterparty_field="payer",
        counterparty=payer,
        category=category,
        amount=amount,
        description=description,
        bank_account=bank_account,
        transaction_cost=transaction_cost,
        date=date,
        reference=reference,
        receipt=receipt,
        recorded_by=recorded_by,
        lines=lines,
    )
