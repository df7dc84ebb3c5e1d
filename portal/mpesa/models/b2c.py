"""B2C records (issue 15): one row per M-Pesa payout of a loan."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.society.money_fields import MoneyField

__all__ = ["B2CPayout", "PayoutStatus"]


class PayoutStatus(models.TextChoices):
    REQUESTED = "requested", _("Sent, awaiting M-Pesa")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")


class B2CPayout(models.Model):
    """One attempt to pay a loan out to the member's phone. Created with the disbursement (same transaction), sent
    after it commits; Daraja's result marks it paid (the clearing account is settled) or failed (the disbursement is
    reversed). A reversed loan paid out again gets a new payout row: one loan, any number of attempts, at most one
    still requested."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(
        max_length=40, unique=True, help_text="Ours: names the payout in the ledger keys and in Daraja's Occasion."
    )
    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, related_name="b2c_payouts")
    disbursement_entry = models.ForeignKey(
        "finance.JournalEntry", on_delete=models.PROTECT, related_name="+", help_text="The disbursement it pays."
    )
    phone = models.CharField(max_length=20)
    amount = MoneyField()
    status = models.CharField(max_length=10, choices=PayoutStatus.choices, default=PayoutStatus.REQUESTED)
    originator_conversation_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    conversation_id = models.CharField(max_length=100, blank=True, db_index=True)
    result_code = models.CharField(max_length=20, blank=True)
    result_desc = models.CharField(max_length=255, blank=True)
    transaction_receipt = models.CharField(max_length=40, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    timed_out_at = models.DateTimeField(null=True, blank=True, help_text="Daraja's queue timeout, if it came.")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("M-Pesa payout")
        constraints = [
            models.UniqueConstraint(
                fields=["loan"], condition=models.Q(status="requested"), name="one_requested_payout_per_loan"
            )
        ]

    def __str__(self):
        return f"B2C {self.reference} KES {self.amount} to {self.phone} ({self.status})"
