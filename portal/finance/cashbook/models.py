"""The SACCO's own expenses and income (T2), with categories, receipts and transaction costs, and transaction
batches (T3). Each expense or income record points at the journal entry that posted it and is never edited."""

import uuid

from django.conf import settings
from django.db import models

from portal.society.money_fields import MoneyField
from portal.society.storage import private_storage


def receipt_upload_to(instance, filename):
    extension = filename[filename.rfind(".") :] if "." in filename else ""
    return f"receipts/{instance._meta.model_name}/{instance.id}{extension}"


def _private_storage():
    return private_storage()


class ExpenseCategory(models.Model):
    """A kind of expense (rent, salaries, stationery…), each with its own child of 5000 Operating expenses."""

    name = models.CharField(max_length=100, unique=True)
    ledger_account = models.OneToOneField("finance.Account", on_delete=models.PROTECT, related_name="expense_category")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "expense categories"

    def __str__(self):
        return self.name


class IncomeCategory(models.Model):
    """A kind of other income (entrance fees, interest on bank deposits…), each a child of 4900 Other income."""

    name = models.CharField(max_length=100, unique=True)
    ledger_account = models.OneToOneField("finance.Account", on_delete=models.PROTECT, related_name="income_category")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "income categories"

    def __str__(self):
        return self.name


class CashbookRecord(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    date = models.DateField()
    amount = MoneyField()
    transaction_cost = MoneyField(default=0, help_text="Bank or M-Pesa charge on this payment: Dr 5100 / Cr bank.")
    bank_account = models.ForeignKey("finance.BankAccount", on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=255)
    reference = models.CharField(max_length=100, blank=True, help_text="Invoice, receipt or M-Pesa code.")
    receipt = models.FileField(upload_to=receipt_upload_to, storage=_private_storage, blank=True, max_length=200)
    receipt_content_type = models.CharField(max_length=60, blank=True, editable=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    @property
    def is_reversed(self) -> bool:
        return hasattr(self.entry, "reversed_by")


class SaccoExpense(CashbookRecord):
    """Money the SACCO paid out: Dr the category's expense account / Cr bank."""

    category = models.ForeignKey(ExpenseCategory, on_delete=models.PROTECT, related_name="expenses")
    payee = models.CharField(max_length=150)
    entry = models.OneToOneField("finance.JournalEntry", on_delete=models.PROTECT, related_name="expense")

    class Meta:
        ordering = ["-date", "-recorded_at"]

    def __str__(self):
        return f"{self.date} {self.category} {self.amount} to {self.payee}"


class SaccoIncome(CashbookRecord):
    """Money the SACCO received that is not a member's savings or loan: Dr bank / Cr the category's income."""

    category = models.ForeignKey(IncomeCategory, on_delete=models.PROTECT, related_name="income")
    payer = models.CharField(max_length=150)
    entry = models.OneToOneField("finance.JournalEntry", on_delete=models.PROTECT, related_name="income")

    class Meta:
        ordering = ["-date", "-recorded_at"]
        verbose_name = "SACCO income"
        verbose_name_plural = "SACCO income"

    def __str__(self):
        return f"{self.date} {self.category} {self.amount} from {self.payer}"


class BatchStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    INVALID = "invalid", "Has errors"
    VALIDATED = "validated", "Validated"
    PROCESSED = "processed", "Processed"


class BatchItemKind(models.TextChoices):
    CONTRIBUTION = "contribution", "Monthly contribution"
    SHARE_CAPITAL = "share_capital", "Share capital"
    EXPENSE = "expense", "Expense"
    INCOME = "income", "Income"


class TransactionBatch(models.Model):
    """A set of transactions entered together and posted together (T3): validated first, then processed all or
    nothing. A processed batch cannot be processed again."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=150)
    bank_account = models.ForeignKey("finance.BankAccount", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=BatchStatus.choices, default=BatchStatus.DRAFT)
    errors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    processed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "transaction batch"
        verbose_name_plural = "transaction batches"
        permissions = [("process_transactionbatch", "Can process (post) transaction batches")]

    def __str__(self):
        return f"{self.name} ({self.get_status_display()})"


class BatchItem(models.Model):
    """One line of a batch, kept as entered (text) so that validation can name what is wrong with it."""

    batch = models.ForeignKey(TransactionBatch, on_delete=models.CASCADE, related_name="items")
    line = models.PositiveIntegerField()
    kind = models.CharField(max_length=15, choices=BatchItemKind.choices)
    member = models.CharField(max_length=40, blank=True, help_text="Membership number (savings lines).")
    category = models.CharField(max_length=100, blank=True, help_text="Category name (expense and income lines).")
    amount = models.CharField(max_length=30)
    period = models.CharField(max_length=10, blank=True)
    date = models.DateField(null=True, blank=True)
    counterparty = models.CharField(max_length=150, blank=True, help_text="Payee or payer.")
    description = models.CharField(max_length=255, blank=True)
    reference = models.CharField(max_length=100, blank=True)
    entry = models.ForeignKey("finance.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["batch", "line"]
        constraints = [models.UniqueConstraint(fields=["batch", "line"], name="one_batch_line_number")]

    def __str__(self):
        return f"Line {self.line} of {self.batch_id}"
