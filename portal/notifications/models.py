"""In-portal notifications (the member's inbox)."""

import uuid

from django.conf import settings
from django.db import models


class Notification(models.Model):
    """One message in a user's inbox: approvals, reminders, guarantor requests, account events."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self):
        return self.subject


class MassEmailAudience(models.TextChoices):
    ALL = "all", "All members"
    ACTIVE = "active", "Active members"
    ON_HOLD = "on_hold", "Members on hold"
    INACTIVE = "inactive", "Inactive members"
    EXITED = "exited", "Exited members"


class MassEmail(models.Model):
    """An email to many members (M12), sent in the background in batches with a delivery log."""

    DRAFT, QUEUED, SENDING, SENT = "draft", "queued", "sending", "sent"
    STATUSES = [(DRAFT, "Draft"), (QUEUED, "Queued"), (SENDING, "Sending"), (SENT, "Sent")]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.CharField(max_length=200)
    body = models.TextField(help_text="Plain text. {first_name} and {membership_number} are filled in per member.")
    audience = models.CharField(max_length=10, choices=MassEmailAudience.choices, default=MassEmailAudience.ACTIVE)
    employer = models.CharField(max_length=150, blank=True, help_text="Only members of this employer (optional).")
    status = models.CharField(max_length=10, choices=STATUSES, default=DRAFT, editable=False)
    total = models.PositiveIntegerField(default=0, editable=False)
    sent_count = models.PositiveIntegerField(default=0, editable=False)
    failed_count = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "mass email"

    def __str__(self):
        return self.subject

    @property
    def progress(self) -> str:
        if not self.total:
            return "—"
        done = self.sent_count + self.failed_count
        return f"{done}/{self.total} ({done * 100 // self.total}%)"


class MassEmailDelivery(models.Model):
    """One recipient of a mass email: pending, sent or failed (with the error)."""

    PENDING, SENT, FAILED = "pending", "sent", "failed"

    mass_email = models.ForeignKey(MassEmail, on_delete=models.CASCADE, related_name="deliveries")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    email = models.EmailField()
    status = models.CharField(
        max_length=10, default=PENDING, choices=[(PENDING, "Pending"), (SENT, "Sent"), (FAILED, "Failed")]
    )
    error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mass_email", "member"], name="one_delivery_per_member")]
        indexes = [models.Index(fields=["mass_email", "status"])]
        verbose_name_plural = "mass email deliveries"

    def __str__(self):
        return f"{self.email}: {self.status}"
