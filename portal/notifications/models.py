"""In-portal notifications (the member's inbox)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_otp.models import CooldownMixin, SideChannelDevice, ThrottlingMixin, TimestampMixin


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


# --- SMS and the member's choice of channel (issue 15) ------------------------------------------------------------


class MessageKind(models.TextChoices):
    """What a message is about: the member chooses email, SMS or both per kind (GENERAL is email only)."""

    PAYMENT_RECEIVED = "payment_received", _("Payment received")
    INSTALMENT_DUE = "instalment_due", _("Loan instalment due soon")
    INSTALMENT_OVERDUE = "instalment_overdue", _("Loan instalment overdue")
    GUARANTOR_REQUEST = "guarantor_request", _("Requests to guarantee a loan")
    GUARANTOR_ARREARS = "guarantor_arrears", _("Arrears on a loan I guarantee")
    LOAN_DECISION = "loan_decision", _("Loan decisions")
    SIGN_IN_CODE = "sign_in_code", _("Sign-in codes")
    GENERAL = "general", _("Everything else (account, documents, statements)")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    BOTH = "both", _("Email and SMS")


# A member without a saved choice gets these. GENERAL is always email: it is not offered as a choice.
DEFAULT_CHANNELS: dict[str, str] = {
    MessageKind.PAYMENT_RECEIVED: Channel.BOTH,
    MessageKind.INSTALMENT_DUE: Channel.BOTH,
    MessageKind.INSTALMENT_OVERDUE: Channel.BOTH,
    MessageKind.GUARANTOR_REQUEST: Channel.BOTH,
    MessageKind.GUARANTOR_ARREARS: Channel.BOTH,
    MessageKind.LOAN_DECISION: Channel.BOTH,
    MessageKind.SIGN_IN_CODE: Channel.EMAIL,
    MessageKind.GENERAL: Channel.EMAIL,
}
# The kinds a member may choose a channel for (the preferences page and the API list exactly these). Sign-in codes
# are not among them: the second factor's own setup decides how they come (a choice here would promise nothing).
CHOOSABLE_KINDS: tuple[str, ...] = tuple(
    kind for kind in MessageKind.values if kind not in (MessageKind.GENERAL, MessageKind.SIGN_IN_CODE)
)


class MessagePreference(models.Model):
    """A member's channel for one kind of message; no row means DEFAULT_CHANNELS[kind]."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_preferences")
    kind = models.CharField(max_length=30, choices=MessageKind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_message_preference_per_kind")]

    def __str__(self):
        return f"{self.user}: {self.kind} by {self.channel}"


class SmsStatus(models.TextChoices):
    QUEUED = "queued", "Queued"  # stored, not yet accepted by the gateway
    SENT = "sent", "Sent"  # accepted by the gateway (or a network on its way to the phone)
    DELIVERED = "delivered", "Delivered"  # the delivery report says the phone got it
    FAILED = "failed", "Failed"  # the gateway refused it, the call failed, or the network could not deliver


class SmsMessage(models.Model):
    """One SMS that left (or tried to leave) through `sms_send`: what, to whom, and what the gateway reported."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="sms_messages"
    )
    to = models.CharField(max_length=20)
    text = models.CharField(max_length=160)
    kind = models.CharField(max_length=30, choices=MessageKind.choices, default=MessageKind.GENERAL)
    status = models.CharField(max_length=10, choices=SmsStatus.choices, default=SmsStatus.QUEUED)
    # What the gateway said, as it said it ("Success", "Buffered", "InvalidPhoneNumber"…): status is our summary.
    provider_status = models.CharField(max_length=40, blank=True)
    provider_message_id = models.CharField(max_length=100, blank=True, db_index=True)
    cost = models.CharField(max_length=30, blank=True, help_text="As the gateway reports it, e.g. “KES 0.8000”.")
    failure_reason = models.CharField(max_length=300, blank=True)
    network_code = models.CharField(max_length=10, blank=True)
    retry_count = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivery_reported_at = models.DateTimeField(null=True, blank=True)

    # A log shown in the admin, written for every text: Wagtail's reference index (usage counts of pages and
    # snippets) has nothing to learn from it, and indexing each row cost queries on every send.
    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "created_at"])]
        verbose_name = "SMS message"

    def __str__(self):
        return f"{self.to}: {self.status}"


class SmsDevice(TimestampMixin, CooldownMixin, ThrottlingMixin, SideChannelDevice):
    """Sign-in codes by SMS: a django-otp device like the emailed codes, sent through `sms_send` (kind SIGN_IN_CODE).

    Lives here, next to `sms_send`, so this low layer needs nothing above it; django-otp finds every Device model,
    so sign-in, "fresh code" prompts and match_token see it as they see the email device. `number` is the phone
    when the member chose SMS codes: a later change on the profile does not move the codes (choose SMS codes again).
    """

    number = models.CharField(max_length=20)

    class Meta:
        verbose_name = "SMS device"

    def generate_challenge(self, extra_context=None):
        """Text a new code (valid OTP_EMAIL_TOKEN_VALIDITY seconds, the same as emailed codes). Raises
        SmsCodeNotSent when no SMS left (the gateway failed, or the hourly limit), so the page can say so."""
        allowed, _data = self.generate_is_allowed()
        if not allowed:
            return _("Wait a minute before asking for another code.")
        from .sms import sms_send  # sms imports these models

        self.cooldown_set(commit=False)
        validity = getattr(settings, "OTP_EMAIL_TOKEN_VALIDITY", 300)
        self.generate_token(valid_secs=validity, commit=True)
        with translation.override(getattr(self.user, "language", "") or settings.LANGUAGE_CODE):
            text = _("Your sign-in code is %(code)s. It expires in %(minutes)s minutes. Never share it.") % {
                "code": self.token,
                "minutes": max(1, validity // 60),
            }
        message = sms_send(to=self.number, text=text, user=self.user, kind=MessageKind.SIGN_IN_CODE)
        if message is None or message.status == SmsStatus.FAILED:
            raise SmsCodeNotSent(message.failure_reason if message is not None else "hourly limit")
        return _("sent by SMS")

    def verify_token(self, token):
        allowed, _data = self.verify_is_allowed()
        if not allowed:
            return False
        verified = super().verify_token(token)
        if verified:
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
        else:
            self.throttle_increment()
        return verified

    def get_cooldown_duration(self):
        return 60

    def get_throttle_factor(self):
        return getattr(settings, "OTP_EMAIL_THROTTLE_FACTOR", 1)


class SmsCodeNotSent(Exception):
    """A sign-in code SMS could not be sent (the gateway failed, or the member's hourly SMS limit is reached)."""
