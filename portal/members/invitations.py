"""Invitation-only registration (M1): create, send, resend, revoke, accept, and import a CSV list.

Tokens are random, single-use and expire; only their SHA-256 is stored.
"""

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from portal.audit.services import ACTION, audit_log
from portal.notifications.services import notify
from portal.society.file_reader import FileRejected, cell_text, read_table
from portal.society.policy import sacco_settings

from . import roles
from .activity import activity_record
from .models import ActivityAction, Invitation, Member, User
from .phone import InvalidPhoneNumber, phone_normalise
from .services import member_create


class InvitationError(Exception):
    """An invitation cannot be used; `reason` is one of unknown, used, revoked, expired."""

    messages = {
        "unknown": "This invitation link is not valid. Check that you copied the whole link from the email.",
        "used": "This invitation has already been used. Sign in with the password you chose.",
        "revoked": "This invitation was withdrawn by the SACCO office. Contact the office for a new one.",
        "expired": "This invitation has expired. Ask the SACCO office to send you a new one.",
    }

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(self.messages[reason])


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _valid_days() -> int:
    return sacco_settings().invitation_valid_days


def _issue_token(invitation: Invitation) -> str:
    token = secrets.token_urlsafe(32)
    invitation.token_hash = _hash(token)
    invitation.expires_at = timezone.now() + datetime.timedelta(days=_valid_days())
    return token


def _send(invitation: Invitation, token: str, *, base_url: str) -> None:
    link = base_url.rstrip("/") + reverse("invitation_accept", args=[token])
    notify(
        email=invitation.email,
        subject=f"Your invitation to join {sacco_settings().short_name}",
        template="invitation",
        context={"invitation": invitation, "sacco": sacco_settings()},
        link=link,
        inbox=False,
    )
    invitation.sent_at = timezone.now()
    invitation.send_count += 1
    invitation.save(update_fields=["sent_at", "send_count", "token_hash", "expires_at"])


def _base_url(request) -> str:
    from django.conf import settings

    return request.build_absolute_uri("/") if request is not None else settings.WAGTAILADMIN_BASE_URL


def _validate_new_email(email: str) -> str:
    email = User.objects.normalize_email(email).strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": "Enter a valid email address."}) from exc
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": f"{email} already has an account."})
    if Invitation.objects.filter(email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True).exists():
        raise ValidationError({"email": f"{email} already has an open invitation; resend it instead."})
    return email


@transaction.atomic
def invitation_create(
    *,
    email: str,
    first_name: str,
    last_name: str,
    invited_by: User | None,
    phone_number: str = "",
    employer: str = "",
    payroll_number: str = "",
    request=None,
) -> Invitation:
    """Invite one person and email them the link (after commit)."""
    email = _validate_new_email(email)
    errors = {}
    if not first_name.strip():
        errors["first_name"] = "First name is required."
    if not last_name.strip():
        errors["last_name"] = "Last name is required."
    try:
        phone_number = phone_normalise(phone_number)
    except InvalidPhoneNumber as exc:
        errors["phone_number"] = str(exc)
    if errors:
        raise ValidationError(errors)
    invitation = Invitation(
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        phone_number=phone_number,
        employer=employer.strip(),
        payroll_number=payroll_number.strip(),
        invited_by=invited_by,
    )
    token = _issue_token(invitation)
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError as exc:  # a concurrent invitation for the same address
        raise ValidationError({"email": f"{email} already has an open invitation; resend it instead."}) from exc
    _send(invitation, token, base_url=_base_url(request))
    activity_record(action=ActivityAction.INVITED, request=request, email=email, actor=invited_by)
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation, by: User | None, request=None) -> Invitation:
    """A fresh link and expiry; the old link stops working."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at or invitation.revoked_at:
        raise ValidationError(f"The invitation is {invitation.status}; it cannot be resent.")
    token = _issue_token(invitation)
    _send(invitation, token, base_url=_base_url(request))
    activity_record(
        action=ActivityAction.INVITED,
        request=request,
        email=invitation.email,
        actor=by,
        detail={"resend": invitation.send_count},
    )
    audit_log(instance=invitation, action=ACTION, by=by, summary=f"Invitation resent to {invitation.email}")
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: User | None, request=None) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at:
        raise ValidationError("The invitation was already accepted; change the member's status instead.")
    if not invitation.revoked_at:
        invitation.revoked_at = timezone.now()
        invitation.revoked_by = by
        invitation.save(update_fields=["revoked_at", "revoked_by"])
        activity_record(action=ActivityAction.INVITATION_REVOKED, request=request, email=invitation.email, actor=by)
        audit_log(instance=invitation, action=ACTION, by=by, summary=f"Invitation to {invitation.email} revoked")
    return invitation


def invitation_for_token(*, token: str, for_update: bool = False) -> Invitation:
    """The open invitation behind a token, or InvitationError saying why it cannot be used."""
    qs = Invitation.objects.select_for_update() if for_update else Invitation.objects.all()
    invitation = qs.filter(token_hash=_hash(token or "")).first()
    if invitation is None:
        raise InvitationError("unknown")
    if invitation.status != "pending":
        raise InvitationError({"accepted": "used"}.get(invitation.status, invitation.status))
    return invitation


@transaction.atomic
def invitation_accept(
    *,
    token: str,
    password: str,
    national_id: str,
    phone_number: str,
    accept_bylaws: bool,
    date_of_birth: datetime.date | None = None,
    request=None,
) -> Member:
    """Create the user, the Member and a verified email address together, or nothing at all."""
    invitation = invitation_for_token(token=token, for_update=True)
    errors: dict[str, list[str]] = {}
    if not accept_bylaws:
        errors["accept_bylaws"] = ["You must accept the by-laws to become a member."]
    if not national_id.strip():
        errors["national_id"] = ["National ID number is required."]
    elif not national_id.strip().isdigit() or not 6 <= len(national_id.strip()) <= 9:
        errors["national_id"] = ["National ID number must be 6 to 9 digits."]
    if not phone_number.strip():
        errors["phone_number"] = ["Phone number is required."]
    else:
        try:
            phone_number = phone_normalise(phone_number)
        except InvalidPhoneNumber as exc:
            errors["phone_number"] = [str(exc)]
    candidate = User(email=invitation.email, first_name=invitation.first_name, last_name=invitation.last_name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise InvitationError("used")

    user = User.objects.create_user(
        email=invitation.email, password=password, first_name=invitation.first_name, last_name=invitation.last_name
    )
    user.groups.add(Group.objects.get(name=roles.MEMBERS))
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    member = member_create(
        user=user,
        phone_number=phone_number.strip(),
        national_id=national_id.strip(),
        employer=invitation.employer,
        payroll_number=invitation.payroll_number,
    )
    if date_of_birth:
        member.date_of_birth = date_of_birth
        member.save(update_fields=["date_of_birth"])
    invitation.accepted_at = timezone.now()
    invitation.accepted_user = user
    invitation.save(update_fields=["accepted_at", "accepted_user"])
    activity_record(
        action=ActivityAction.REGISTERED,
        request=request,
        user=user,
        detail={"membership_number": member.membership_number},
    )
    return member


@dataclass
class CsvRowError:
    row: int
    field: str
    message: str

    def __str__(self):
        return f"Row {self.row}, {self.field}: {self.message}"


CSV_COLUMNS = ["email", "first_name", "last_name", "phone_number", "employer", "payroll_number"]


INVITATION_LIST_MAX_BYTES = 2 * 1024 * 1024


def _invitation_rows(data: bytes, file_name: str) -> tuple[list[int], list[dict]]:
    """The list's rows as text, read by the one file reader (caps on size, rows and columns; a damaged or binary
    file is refused naming it), with each row's number in the file (the header is row 1)."""
    try:
        table = read_table(data, file_name=file_name, max_bytes=INVITATION_LIST_MAX_BYTES)
        header = [name.strip().lower() for name in table.header]
        missing = [col for col in CSV_COLUMNS[:3] if col not in header]
        if missing:
            raise ValidationError(
                f"{table.file_name}: the header row must name the columns {', '.join(CSV_COLUMNS[:3])}; "
                f"missing: {', '.join(missing)}."
            )
        numbers, rows = [], []
        for number, record in table.records(keys=[name or None for name in header], strict=False):
            numbers.append(number)
            rows.append({key: cell_text(value) for key, value in record.items()})
    except FileRejected as exc:
        raise ValidationError(str(exc)) from exc
    if not rows:
        raise ValidationError(f"{table.file_name}: the file has no rows under the header.")
    return numbers, rows


def invitations_import_csv(
    *, data: bytes, invited_by: User | None, request=None, file_name: str = "invitations.csv"
) -> list[Invitation]:
    """Invite everyone in a CSV or XLSX list (header: email, first_name, last_name[, phone_number, employer,
    payroll_number]).

    Every row is checked first; if any row is wrong, nothing is created and every error is reported
    with its row number (the header is row 1).
    """
    numbers, rows = _invitation_rows(data, file_name)
    errors: list[CsvRowError] = []
    seen: dict[str, int] = {}
    for number, row in zip(numbers, rows, strict=True):
        row = {key: (value or "").strip() for key, value in row.items() if key}
        for field in CSV_COLUMNS[:3]:
            if not row.get(field):
                errors.append(CsvRowError(number, field, "is required"))
        try:
            phone_normalise(row.get("phone_number", ""))
        except InvalidPhoneNumber as exc:
            errors.append(CsvRowError(number, "phone_number", str(exc)))
        email = row.get("email", "").lower()
        if email:
            if email in seen:
                errors.append(CsvRowError(number, "email", f"{email} is also on row {seen[email]}"))
            seen.setdefault(email, number)
            try:
                _validate_new_email(email)
            except ValidationError as exc:
                errors.append(CsvRowError(number, "email", " ".join(exc.message_dict["email"])))
    if errors:
        raise ValidationError([str(error) for error in errors])
    created = []
    with transaction.atomic():
        for row in rows:
            created.append(
                invitation_create(
                    invited_by=invited_by,
                    request=request,
                    **{field: (row.get(field) or "").strip() for field in CSV_COLUMNS},
                )
            )
    return created
