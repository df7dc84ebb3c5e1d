"""The SACCO's own bank, M-Pesa and cash accounts (T4)."""

import uuid

from django.db import models
from django.db.models import Q


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
