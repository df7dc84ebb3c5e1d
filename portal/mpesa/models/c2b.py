"""C2B records (issue 15): one MpesaReceipt per M-Pesa receipt number (TransID), whichever way it reached us (a C2B
paybill confirmation or an STK push result). The unique trans_id is what makes a receipt post once."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.society.money_fields import MoneyField

__all__ = ["MpesaReceipt", "ReceiptStatus", "ReceiptChannel"]


class ReceiptStatus(models.TextChoices):
    POSTED = "posted", _("Posted")  # to the purpose the reference asked for
    UNALLOCATED = "unallocated", _("Waiting in unallocated receipts")  # in 2300, for staff to allocate
    ALLOCATED = "allocated", _("Allocated by staff")  # was in 2300, moved by a person


class ReceiptChannel(models.TextChoices):
    C2B = "c2b", _("Paybill (C2B)")
    STK = "stk", _("Lipa na M-Pesa (STK push)")


class MpesaReceipt(models.Model):
    """Money received through M-Pesa, once per receipt number. Created in the same transaction as its posting: a
    second delivery of the same TransID (a Daraja retry, a replay, both the STK result and the C2B confirmation)
    meets the unique constraint and posts nothing.

    `purpose` is what the payer's reference asked for (see receipts.Purpose); `status` says where the money went.
    `entry` is the journal entry that brought the money in to the paybill's ledger account (what the M-Pesa
    statement shows); `allocation_entries` are the staff's later moves out of 2300."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    trans_id = models.CharField(_("M-Pesa receipt"), max_length=40, unique=True)
    channel = models.CharField(max_length=5, choices=ReceiptChannel.choices, default=ReceiptChannel.C2B)
    member = models.ForeignKey(
        "members.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="mpesa_receipts"
    )
    purpose = models.CharField(max_length=20)
    reference = models.CharField(
        _("account reference"), max_length=100, blank=True, help_text=_("The account reference as the payer typed it.")
    )
    amount = MoneyField()
    paid_at = models.DateTimeField()
    phone = models.CharField(
        max_length=64, blank=True, help_text=_("As Daraja sent it (newer APIs send it masked or hashed).")
    )
    payer_name = models.CharField(max_length=150, blank=True)
    status = models.CharField(max_length=12, choices=ReceiptStatus.choices)
    note = models.CharField(max_length=255, blank=True, help_text=_("Why the money went where it went."))
    bank_account = models.ForeignKey("finance.BankAccount", on_delete=models.PROTECT, related_name="+")
    entry = models.ForeignKey(
        "finance.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="mpesa_receipts"
    )
    allocated_at = models.DateTimeField(null=True, blank=True)
    allocated_by = models.ForeignKey("members.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-paid_at", "-created_at"]
        verbose_name = _("M-Pesa receipt")
        indexes = [models.Index(fields=["status", "paid_at"], name="mpesa_receipt_status")]

    def __str__(self):
        return f"{self.trans_id} KES {self.amount:,.2f}"
