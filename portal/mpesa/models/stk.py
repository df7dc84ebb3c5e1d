"""STK push ("Lipa na M-Pesa online") records (issue 15): one row per push a member starts from the portal."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.society.money_fields import MoneyField

__all__ = ["StkPush", "StkStatus"]


class StkStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for you to confirm on your phone")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class StkPush(models.Model):
    """A payment request sent to a member's phone. Created pending before Daraja is asked (so a member's limit of
    pending pushes holds under concurrency); Daraja's CheckoutRequestID is filled in from its answer. Settled once,
    by the result callback or, when none comes, by the STK push query job; the money itself posts through
    receipts.mpesa_receipt_post under the M-Pesa receipt number, so a C2B confirmation of the same payment posts
    nothing again. `purpose` holds a receipts.Purpose value."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="stk_pushes")
    phone = models.CharField(_("phone number"), max_length=20, help_text=_("Stored as +2547XXXXXXXX."))
    amount = MoneyField(_("amount"))
    purpose = models.CharField(_("purpose"), max_length=20)
    account_reference = models.CharField(max_length=20, blank=True)
    merchant_request_id = models.CharField(max_length=64, blank=True)
    checkout_request_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    status = models.CharField(max_length=10, choices=StkStatus.choices, default=StkStatus.PENDING)
    result_code = models.CharField(max_length=20, blank=True)
    result_desc = models.CharField(max_length=255, blank=True)
    mpesa_receipt_number = models.CharField(max_length=40, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    queried_at = models.DateTimeField(null=True, blank=True, help_text=_("When Daraja was last asked about it."))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("M-Pesa STK push")
        indexes = [models.Index(fields=["status", "created_at"], name="mpesa_stk_status")]

    def __str__(self):
        return f"STK {self.pk} {self.status} KES {self.amount:,.2f}"
