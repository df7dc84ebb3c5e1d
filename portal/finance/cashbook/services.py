"""Expenses, income and transaction costs (T2): each a balanced entry through the ledger, idempotent by reference."""

import datetime
import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal.finance.banking.models import BankAccount
from portal.finance.banking.services import bank_account_primary
from portal.finance.ledger.models import Account, AccountType
from portal.finance.ledger.services import Line, ledger_post
from portal.finance.money import InvalidAmount, parse_amount

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
    from portal.members.kyc import sniff_content_type

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


def _common(*, amount, transaction_cost, bank_account, date, description, reference, receipt, counterparty, field):
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
        errors[field] = ["Required."]
    if len((reference or "").strip()) > 100:
        errors["reference"] = ["The reference is longer than 100 characters."]
    content_type = _check_receipt(receipt, errors)
    return errors, amount, cost, account, day, content_type


def _key(prefix: str, reference: str) -> str:
    reference = (reference or "").strip()
    return f"{prefix}:{reference}" if reference else f"{prefix}:auto:{uuid.uuid4()}"


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
    errors, amount, cost, account, day, content_type = _common(
        amount=amount,
        transaction_cost=transaction_cost,
        bank_account=bank_account,
        date=date,
        description=description,
        reference=reference,
        receipt=receipt,
        counterparty=payee,
        field="payee",
    )
    if category is None or not category.active:
        errors["category"] = ["Choose an active expense category."]
    if errors:
        raise ValidationError(errors)
    key = _key("expense", reference)
    existing = SaccoExpense.objects.filter(entry__idempotency_key=key).first()
    if existing is not None:
        return existing, False
    lines = [Line(category.ledger_account.code, debit=amount, description=description)]
    if cost > 0:
        lines.append(Line(TRANSACTION_COSTS_ACCOUNT, debit=cost, description=f"Charge: {description}"))
    lines.append(Line(account.ledger_account.code, credit=amount + cost, description=f"Paid to {payee}"))
    result = ledger_post(
        memo=f"{category.name}: {description}",
        lines=lines,
        idempotency_key=key,
        posted_by=recorded_by,
        date=day,
        source=reference,
    )
    expense = SaccoExpense(
        date=day,
        category=category,
        amount=amount,
        transaction_cost=cost,
        bank_account=account,
        payee=payee.strip(),
        description=description.strip(),
        reference=(reference or "").strip(),
        receipt_content_type=content_type,
        recorded_by=recorded_by,
        entry=result.entry,
    )
    if receipt:
        expense.receipt.save(receipt.name, receipt, save=False)
    expense.save()
    return expense, True


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
    errors, amount, cost, account, day, content_type = _common(
        amount=amount,
        transaction_cost=transaction_cost,
        bank_account=bank_account,
        date=date,
        description=description,
        reference=reference,
        receipt=receipt,
        counterparty=payer,
        field="payer",
    )
    if category is None or not category.active:
        errors["category"] = ["Choose an active income category."]
    if errors:
        raise ValidationError(errors)
    key = _key("income", reference)
    existing = SaccoIncome.objects.filter(entry__idempotency_key=key).first()
    if existing is not None:
        return existing, False
    bank = account.ledger_account.code
    lines = [
        Line(bank, debit=amount, description=f"From {payer}"),
        Line(category.ledger_account.code, credit=amount, description=description),
    ]
    if cost > 0:
        lines += [
            Line(TRANSACTION_COSTS_ACCOUNT, debit=cost, description=f"Charge: {description}"),
            Line(bank, credit=cost, description=f"Charge: {description}"),
        ]
    result = ledger_post(
        memo=f"{category.name}: {description}",
        lines=lines,
        idempotency_key=key,
        posted_by=recorded_by,
        date=day,
        source=reference,
    )
    income = SaccoIncome(
        date=day,
        category=category,
        amount=amount,
        transaction_cost=cost,
        bank_account=account,
        payer=payer.strip(),
        description=description.strip(),
        reference=(reference or "").strip(),
        receipt_content_type=content_type,
        recorded_by=recorded_by,
        entry=result.entry,
    )
    if receipt:
        income.receipt.save(receipt.name, receipt, save=False)
    income.save()
    return income, True
