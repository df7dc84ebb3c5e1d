"""The user account, the member profile and the counter that numbers members.

A User is a login (staff or member). A Member is the cooperative's record of a person who owns shares;
every member has exactly one user, staff users usually have no Member.
"""

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from wagtail.search import index


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
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    ON_HOLD = "on_hold", "On hold"
    EXITED = "exited", "Exited"


class Member(index.Indexed, models.Model):
    """A member of the cooperative: owns share capital, saves, borrows and guarantees.

    The membership number is assigned once by `member_create` and never changes; it is not editable in
    any form, the admin or the API.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="member")
    membership_number = models.CharField(max_length=20, unique=True, editable=False)
    join_date = models.DateField(default=timezone.localdate)
    phone_number = models.CharField(max_length=20, blank=True, help_text="In international form, e.g. +254712345678.")
    national_id = models.CharField("national ID number", max_length=20, blank=True)
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
