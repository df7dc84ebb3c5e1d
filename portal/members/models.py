"""The user account, the member profile and the counter that numbers members.

A User is a login (staff or member). A Member is the cooperative's record of a person who owns shares;
every member has exactly one user, staff users usually have no Member.
"""

import uuid

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.search import index

from portal.society.money_fields import MoneyField
from portal.society.storage import private_storage
from portal.workflows.records import ApprovalRecord
from portal.workflows.summary import ApprovalSummary

from .phone import phone_number_validator


class UserManager(BaseUserManager):
    """Creates users identified by email address (there is no username)."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser must have is_staff=True and is_superuser=True.")
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A login. UUID primary key so ids in URLs and the API reveal nothing; email is the username."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField("email address", unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(default=False, help_text="Designates whether the user can log into the admin site.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    language = models.CharField(
        max_length=8,
        blank=True,
        choices=settings.LANGUAGES,
        help_text="The language the member chose for the portal, emails and PDFs; blank for the default.",
    )

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        verbose_name = "user"
        verbose_name_plural = "users"
        ordering = ["email"]

    def __str__(self):
        return self.get_full_name() or self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self):
        return self.first_name or self.email


class MemberStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")
    ON_HOLD = "on_hold", _("On hold")
    EXITED = "exited", _("Exited")


class Member(index.Indexed, models.Model):
    """A member of the cooperative: owns share capital, saves, borrows and guarantees.

    The membership number is assigned once by `member_create` and never changes; it is not editable in
    any form, the admin or the API.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="member")
    membership_number = models.CharField(max_length=20, unique=True, editable=False)
    join_date = models.DateField(default=timezone.localdate)
    phone_number = models.CharField(
        max_length=20,
        blank=True,
        validators=[phone_number_validator],
        help_text="A Kenyan mobile number, stored as +254712345678.",
    )
    national_id = models.CharField("national ID number", max_length=20, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    postal_address = models.CharField(max_length=200, blank=True)
    bank_name = models.CharField(max_length=100, blank=True)
    bank_branch = models.CharField(max_length=100, blank=True)
    bank_account_name = models.CharField(max_length=150, blank=True)
    bank_account_number = models.CharField(max_length=30, blank=True)
    employer = models.CharField(max_length=150, blank=True)
    payroll_number = models.CharField(max_length=30, blank=True, help_text="Used to match payroll check-off rows.")
    status = models.CharField(max_length=10, choices=MemberStatus.choices, default=MemberStatus.ACTIVE)
    status_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    search_fields = [
        index.SearchField("membership_number"),
        index.SearchField("national_id"),
        index.SearchField("payroll_number"),
        index.SearchField("phone_number"),
        index.AutocompleteField("membership_number"),
        index.RelatedFields(
            "user", [index.SearchField("email"), index.SearchField("first_name"), index.SearchField("last_name")]
        ),
        index.FilterField("status"),
        index.FilterField("join_date"),
    ]

    class Meta:
        ordering = ["membership_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["employer", "payroll_number"],
                condition=~models.Q(payroll_number=""),
                name="member_unique_payroll_number_per_employer",
            )
        ]

    def __str__(self):
        return f"{self.membership_number} {self.full_name}"

    @property
    def full_name(self) -> str:
        return self.user.get_full_name() or self.user.email


class MembershipNumberCounter(models.Model):
    """The last sequence number issued for a join year.

    One row per year; `membership_number_next` increments it with a single UPDATE inside the
    member-creating transaction, so concurrent registrations get distinct numbers.
    """

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_value = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.year}: {self.last_value}"


class ActivityAction(models.TextChoices):
    LOGIN = "login", _("Signed in")
    LOGOUT = "logout", _("Signed out")
    LOGIN_FAILED = "login_failed", _("Failed sign-in")
    LOCKED_OUT = "locked_out", _("Locked out")
    UNLOCKED = "unlocked", _("Unlocked by staff")
    OTP_VERIFIED = "otp_verified", _("Second factor verified")
    OTP_FAILED = "otp_failed", _("Second factor failed")
    OTP_ENROLLED = "otp_enrolled", _("Second factor enrolled")
    OTP_RESET = "otp_reset", _("Second factor reset by staff")
    INVITED = "invited", _("Invited")
    INVITATION_REVOKED = "invitation_revoked", _("Invitation revoked")
    REGISTERED = "registered", _("Completed registration")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    PASSWORD_RESET = "password_reset", _("Password reset")
    PROFILE_CHANGED = "profile_changed", _("Profile changed")
    BANK_DETAILS_CHANGED = "bank_details_changed", _("Bank details changed")
    STATUS_CHANGED = "status_changed", _("Member status changed")
    DOCUMENT_UPLOADED = "document_uploaded", _("Document uploaded")
    DOCUMENT_REVIEWED = "document_reviewed", _("Document reviewed")


class ActivityLog(models.Model):
    """One authentication or profile event: who, what, when, from where. Append-only.

    `user` is empty for failures against an unknown email; `email` keeps what was typed.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="activity")
    actor = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who did it, if not the user.",
    )
    email = models.EmailField(blank=True)
    action = models.CharField(max_length=30, choices=ActivityAction.choices)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.email}"


class Invitation(models.Model):
    """A staff invitation to join: the only way an account is created.

    The token is sent by email and only its SHA-256 is stored, so a database leak does not leak usable links.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField()
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    phone_number = models.CharField(max_length=20, blank=True, validators=[phone_number_validator])
    employer = models.CharField(max_length=150, blank=True)
    payroll_number = models.CharField(max_length=30, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField()
    invited_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    send_count = models.PositiveSmallIntegerField(default=0)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitation"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            )
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name} <{self.email}>"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"

    @property
    def is_open(self) -> bool:
        return self.status == "pending"


class Nominee(models.Model):
    """Who receives a member's savings on death; a member's nominees' shares sum to 100 %."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="nominees")
    full_name = models.CharField(max_length=150)
    relationship = models.CharField(max_length=50)
    national_id = models.CharField("national ID or birth certificate number", max_length=20, blank=True)
    phone_number = models.CharField(max_length=20, blank=True, validators=[phone_number_validator])
    share_percent = models.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        ordering = ["-share_percent", "full_name"]

    def __str__(self):
        return f"{self.full_name} ({self.share_percent}%)"


class KycDocumentType(models.TextChoices):
    NATIONAL_ID_FRONT = "national_id_front", _("National ID (front)")
    NATIONAL_ID_BACK = "national_id_back", _("National ID (back)")
    PASSPORT_PHOTO = "passport_photo", _("Passport photo")
    KRA_PIN = "kra_pin", _("KRA PIN certificate")
    PAYSLIP = "payslip", _("Latest payslip")


REQUIRED_KYC_TYPES = [
    KycDocumentType.NATIONAL_ID_FRONT,
    KycDocumentType.NATIONAL_ID_BACK,
    KycDocumentType.PASSPORT_PHOTO,
    KycDocumentType.KRA_PIN,
]


def kyc_upload_to(instance, filename):
    return f"kyc/{instance.member_id}/{instance.id}{filename[filename.rfind('.') :] if '.' in filename else ''}"


def _private_storage():
    return private_storage()


class KycDocument(ApprovalRecord):
    """A KYC document a member uploaded, reviewed through the "KYC review" workflow.

    The decision is not stored here (publishing copies revision fields over the row): it lives in KycDecision,
    written by the workflow handler.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="kyc_documents")
    document_type = models.CharField(max_length=30, choices=KycDocumentType.choices)
    file = models.FileField(upload_to=kyc_upload_to, storage=_private_storage, max_length=200)
    content_type = models.CharField(max_length=60, editable=False)
    size = models.PositiveIntegerField(editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    uploaded_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = "KYC document"

    def __str__(self):
        return f"{self.get_document_type_display()} — {self.member}"

    def approval_summary(self) -> ApprovalSummary:
        """Whose document and which one, for the reviewer's list and decision page (portal/workflows/summary.py)."""
        member = self.member
        return ApprovalSummary(
            kind="KYC document",
            subject=f"{member.full_name} ({member.membership_number})",
            what=self.get_document_type_display(),
        )

    @property
    def review_status(self) -> str:
        decision = getattr(self, "decision", None)
        if decision is not None:
            return decision.status
        return "pending"


class KycDecision(models.Model):
    """The outcome of a KYC review: verified, or rejected with the reviewer's reason."""

    VERIFIED = "verified"
    REJECTED = "rejected"

    document = models.OneToOneField(KycDocument, on_delete=models.PROTECT, related_name="decision")
    status = models.CharField(max_length=10, choices=[(VERIFIED, _("Verified")), (REJECTED, _("Rejected"))])
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.document}: {self.status}"


def death_document_upload_to(instance, filename):
    return f"deaths/{instance.member_id}/{uuid.uuid4()}{filename[filename.rfind('.') :] if '.' in filename else ''}"


class MemberExitKind(models.TextChoices):
    EXIT = "exit", _("Exit on notice")
    DEATH = "death", _("Death")


class MemberExitStatus(models.TextChoices):
    NOTICE = "notice", _("Notice given (or death recorded)")
    PREPARED = "prepared", _("Settlement prepared, awaiting approval")
    SETTLED = "settled", _("Settled")


class MemberExit(models.Model):
    """A membership ending (issue 16): by notice (the member or a clerk gives it; it can be settled once the notice
    period in the SACCO settings has passed) or by death (recorded by staff with the date and a document).

    The settlement is maker-checker because money leaves the society: one person prepares it (the figures are
    stored here), another approves it, and only the approval posts (portal/loans/membership_exit.py; the services
    live in loans because they offset the member's loans). The figures are what was posted, kept for the screens.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    member = models.OneToOneField(Member, on_delete=models.PROTECT, related_name="membership_exit")
    kind = models.CharField(max_length=10, choices=MemberExitKind.choices)
    status = models.CharField(max_length=10, choices=MemberExitStatus.choices, default=MemberExitStatus.NOTICE)
    reason = models.CharField(max_length=255, blank=True)
    notice_given_on = models.DateField()
    notice_given_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    settle_from = models.DateField(help_text="The first day the settlement may be approved (notice period ended).")
    died_on = models.DateField(null=True, blank=True)
    death_document = models.FileField(
        upload_to=death_document_upload_to, storage=_private_storage, max_length=200, blank=True
    )
    share_capital_treatment = models.CharField(
        max_length=10, blank=True, choices=[("transfer", _("Transfer to another member")), ("refund", _("Refund"))]
    )
    share_receiver = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="share_capital_received_on_exit"
    )
    deposits = MoneyField(default=0, help_text="The member's deposits before the settlement.")
    share_capital = MoneyField(default=0)
    loans_offset = MoneyField(default=0, help_text="Loans cleared from the deposits.")
    insurance_cleared = MoneyField(default=0, help_text="Loans cleared by the insurance claim (death).")
    loans_left = MoneyField(default=0, help_text="What the member's loans still owe after the settlement (death).")
    refund_payable = MoneyField(default=0, help_text="Credited to 2400, to be paid out.")
    prepared_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    prepared_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "membership exit"
        permissions = [
            ("give_exit_notice", "Can give exit notice for a member"),
            ("record_death", "Can record a member's death"),
            ("prepare_exit_settlement", "Can prepare an exit settlement"),
            ("approve_exit_settlement", "Can approve an exit settlement"),
            ("pay_exit_refund", "Can pay out an exit refund"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.member}"


class ExitPayable(models.Model):
    """What is owed on 2400 after a settlement: one to the exited member, or one per nominee after a death. Paid
    once (Dr 2400 / Cr bank); the journal entry names the payable."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    member_exit = models.ForeignKey(MemberExit, on_delete=models.PROTECT, related_name="payables")
    payee = models.CharField(max_length=150)
    nominee = models.ForeignKey(Nominee, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    share_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    amount = MoneyField()
    paid_on = models.DateField(null=True, blank=True)
    paid_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reference = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["member_exit", "-amount", "payee"]

    def __str__(self):
        return f"{self.payee}: {self.amount}"
