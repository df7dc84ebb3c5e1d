"""Member profile changes (M6): who may change what, nominees that sum to 100 %, bank details logged and
confirmed by email. A member never changes their own role, status or membership number."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy

from portal.audit.changes import field_snapshot
from portal.audit.services import EDIT, audit_log
from portal.notifications.services import notify

from .activity import activity_record
from .models import ActivityAction, Member, Nominee, User
from .phone import InvalidPhoneNumber, phone_clean, phone_normalise

MEMBER_EDITABLE = ["phone_number", "postal_address"]
BANK_FIELDS = ["bank_name", "bank_branch", "bank_account_name", "bank_account_number"]
STAFF_EDITABLE = [*MEMBER_EDITABLE, "national_id", "date_of_birth", "employer", "payroll_number"]
MAX_NOMINEES = 5


def _is_staff_editor(by: User | None, member: Member) -> bool:
    return bool(by and by.pk != member.user_id and by.has_perm("members.change_member"))


def _apply(member: Member, changes: dict, allowed: list[str]) -> list[str]:
    refused = sorted(set(changes) - set(allowed))
    if refused:
        raise ValidationError({field: ["You cannot change this field."] for field in refused})
    changed = []
    for field, value in changes.items():
        value = value.strip() if isinstance(value, str) else value
        if field == "phone_number":
            value = phone_clean(value)  # one stored form (+254…); anything else is refused naming the field
        if getattr(member, field) != value:
            setattr(member, field, value)
            changed.append(field)
    member.full_clean(exclude=["user", "membership_number"])
    return changed


def _save_and_log(
    *, member: Member, changes: dict, allowed: list[str], by: User, action, request, via: str = ""
) -> list[str]:
    """Apply the allowed changes, save only what changed, and log the field names (and the door, if given)."""
    before = field_snapshot(member, allowed)
    changed = _apply(member, changes, allowed)
    if changed:
        member.save(update_fields=changed)
        detail = {"fields": changed, **({"via": via} if via else {})}
        activity_record(action=action, request=request, user=member.user, actor=by, detail=detail)
        audit_log(instance=member, action=EDIT, by=by, before=before, after=field_snapshot(member, allowed))
    return changed


@transaction.atomic
def member_profile_update(*, member: Member, changes: dict, by: User, request=None, via: str = "") -> list[str]:
    """Contacts for the member themself; identity and payroll fields for staff. Returns the changed fields.
    `via` names the door in the activity log (the admin's member form passes "admin")."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    if by.pk != member.user_id and not _is_staff_editor(by, member):
        raise ValidationError("You may only change your own profile.")
    allowed = STAFF_EDITABLE if _is_staff_editor(by, member) else MEMBER_EDITABLE
    return _save_and_log(
        member=member,
        changes=changes,
        allowed=allowed,
        by=by,
        action=ActivityAction.PROFILE_CHANGED,
        request=request,
        via=via,
    )


@transaction.atomic
def member_bank_details_update(*, member: Member, changes: dict, by: User, request=None) -> list[str]:
    """Bank details (where refunds and dividends go): logged, and the member is told by email at once.
    Callers must have checked a fresh second factor first."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    if by.pk != member.user_id and not _is_staff_editor(by, member):
        raise ValidationError("You may only change your own bank details.")
    changed = _save_and_log(
        member=member,
        changes=changes,
        allowed=BANK_FIELDS,
        by=by,
        action=ActivityAction.BANK_DETAILS_CHANGED,
        request=request,
    )
    if changed:
        notify(
            user=member.user,
            subject=gettext_lazy("Your bank details were changed"),  # lazy: in the member's language
            template="generic",
            context={
                "body": gettext_lazy(
                    "The bank details on your SACCO account were changed. If this was not you, call "
                    "the office immediately."
                )
            },
        )
    return changed


def _nominee_phone(raw, index: int, errors: dict) -> str:
    try:
        return phone_normalise(raw)
    except InvalidPhoneNumber as exc:
        errors[f"nominees[{index}].phone_number"] = [str(exc)]
        return ""


@transaction.atomic
def member_nominees_replace(*, member: Member, nominees: list[dict], by: User, request=None) -> list[Nominee]:
    """Replace all nominees at once; their shares must sum to exactly 100 %."""
    if by.pk != member.user_id and not _is_staff_editor(by, member):
        raise ValidationError("You may only change your own nominees.")
    errors: dict[str, list[str]] = {}
    if not nominees:
        errors["nominees"] = ["Name at least one nominee."]
    if len(nominees) > MAX_NOMINEES:
        errors["nominees"] = [f"At most {MAX_NOMINEES} nominees."]
    total = Decimal("0")
    rows = []
    for index, data in enumerate(nominees, start=1):
        name = str(data.get("full_name", "")).strip()
        relationship = str(data.get("relationship", "")).strip()
        try:
            share = Decimal(str(data.get("share_percent", "")).strip())
            if share <= 0 or share > 100 or share.as_tuple().exponent < -2:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors[f"nominees[{index}].share_percent"] = ["Give a share between 0.01 and 100 with at most 2 decimals."]
            share = Decimal("0")
        if not name:
            errors[f"nominees[{index}].full_name"] = ["Name is required."]
        if not relationship:
            errors[f"nominees[{index}].relationship"] = ["Relationship is required."]
        total += share
        rows.append(
            Nominee(
                member=member,
                full_name=name,
                relationship=relationship,
                national_id=str(data.get("national_id", "")).strip(),
                phone_number=_nominee_phone(data.get("phone_number"), index, errors),
                share_percent=share,
            )
        )
    if nominees and not any(key.endswith("share_percent") for key in errors) and total != Decimal("100"):
        errors["nominees"] = [f"The shares add up to {total:f} %; they must add up to exactly 100 %."]
    if errors:
        raise ValidationError(errors)
    Nominee.objects.filter(member=member).delete()
    created = Nominee.objects.bulk_create(rows)
    activity_record(
        action=ActivityAction.PROFILE_CHANGED,
        request=request,
        user=member.user,
        actor=by,
        detail={"fields": ["nominees"], "count": len(rows)},
    )
    return created
