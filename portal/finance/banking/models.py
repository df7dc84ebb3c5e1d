"""The SACCO's own bank, M-Pesa and cash accounts (T4)."""

import uuid

from django.db import models
from django.db.models import Q

from portal.society.money_fields import MoneyField


class BankAccountKind(models.TextChoices):
    BANK = "bank", "Bank account"
    MPESA = "mpesa", "M-Pesa paybill / till"
    CASH = "cash", "Cash"


class BankAccount(models.Model):
    """Where money is received and paid from. Each has its own ledger account (codes 1010–1099); exactly one
    active account can be primary, the default for receipts and disbursements."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=BankAccountKind.choices, default=BankAccountKind.BANK)
    bank_name = models.CharField(max_length=100, blank=True)
    branch = models.CharField(max_length=100, blank=True)
    account_number = models.CharField(max_length=30, blank=True, help_text="Or the paybill / till number.")
    ledger_account = models.OneToOneField("finance.Account", on_delete=models.PROTECT, related_name="bank_account")
    is_primary = models.BooleanField(default=False, editable=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_primary", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_primary"], condition=Q(is_primary=True), name="one_primary_bank_account"
            )
        ]

    def __str__(self):
        return f"{self.name}{' (primary)' if self.is_primary else ''}"


class BankStatement(models.Model):
    """A bank or M-Pesa statement file imported for reconciliation (T5). Its SHA-256 is unique: the same file
    twice imports once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    bank_account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="statements")
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64, unique=True)
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey("members.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-imported_at"]

    def __str__(self):
        return f"{self.file_name} ({self.bank_account})"


class MatchMethod(models.TextChoices):
    REFERENCE = "reference", "Automatic: reference and amount"
    AMOUNT_DATE = "amount_date", "Automatic: the only amount within the date window"
    MANUAL = "manual", "Manual"


class BankTransaction(models.Model):
    """One line of a bank statement: money in (positive) or out (negative), matched to at most one ledger line on
    the bank's account, and each ledger line to at most one bank line (enforced by the database)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="transactions")
    bank_account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="bank_transactions")
    row_number = models.PositiveIntegerField()
    date = models.DateField()
    reference = models.CharField(max_length=100, blank=True)
    description = models.CharField(max_length=255, blank=True)
    amount = MoneyField(help_text="Money in is positive, money out negative.")
    matched_line = models.OneToOneField(
        "finance.JournalLine", null=True, blank=True, on_delete=models.PROTECT, related_name="bank_match"
    )
    match_method = models.CharField(max_length=12, choices=MatchMethod.choices, blank=True)
    matched_by = models.ForeignKey("members.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    matched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["date", "row_number"]

    def __str__(self):
        return f"{self.date} {self.reference or self.description} {self.amount}"

    @property
    def reconciled(self) -> bool:
        return self.matched_line_id is not None
