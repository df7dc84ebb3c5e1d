"""The raw record of every request Daraja sends us (issue 15)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["MpesaCallback", "CallbackKind"]


class CallbackKind(models.TextChoices):
    C2B_VALIDATION = "c2b_validation", _("C2B validation")
    C2B_CONFIRMATION = "c2b_confirmation", _("C2B confirmation")
    STK_RESULT = "stk_result", _("STK push result")
    B2C_RESULT = "b2c_result", _("B2C result")
    B2C_TIMEOUT = "b2c_timeout", _("B2C queue timeout")


class MpesaCallback(models.Model):
    """One callback exactly as it arrived, stored before it is processed, so nothing Safaricom sent is ever lost and
    an auditor can replay the trail. Append-only: the body is never changed; `callback_processed` records the
    outcome with a conditional UPDATE. Private: shown only in the admin to finance staff."""

    kind = models.CharField(max_length=20, choices=CallbackKind.choices)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    body = models.TextField(help_text="The request body as received (UTF-8, undecodable bytes replaced).")
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=255, blank=True, help_text="What processing did, in a sentence.")

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = "M-Pesa callback"
        indexes = [models.Index(fields=["kind", "processed_at"], name="mpesa_callback_pending")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.received_at:%Y-%m-%d %H:%M:%S}"
