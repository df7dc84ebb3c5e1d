"""Mass email drafts (M12) as staff write them in the admin: written and changed here, checked and logged in one
place. Only a draft changes: once queued (`mass_email.mass_email_queue`) an email is what its members received."""

from django.core.exceptions import ValidationError
from django.db import transaction

from portal.audit.changes import field_snapshot
from portal.audit.services import EDIT, audit_log

from .models import MassEmail

FIELDS = ("subject", "body", "audience", "employer")


def _fill(mass_email: MassEmail, *, subject: str, body: str, audience: str, employer: str) -> None:
    """The draft's fields, trimmed and checked by the model (required subject and body, a known audience)."""
    mass_email.subject = (subject or "").strip()
    mass_email.body = (body or "").strip()
    mass_email.audience = audience
    mass_email.employer = (employer or "").strip()
    mass_email.full_clean()


@transaction.atomic
def mass_email_draft_create(*, subject: str, body: str, audience: str, employer: str = "", by) -> MassEmail:
    """A new draft written by `by`; the audit trail records what it said."""
    draft = MassEmail(created_by=by)
    _fill(draft, subject=subject, body=body, audience=audience, employer=employer)
    draft.save()
    audit_log(instance=draft, action=EDIT, by=by, before=None, after=field_snapshot(draft, list(FIELDS)))
    return draft


@transaction.atomic
def mass_email_draft_update(
    *, mass_email: MassEmail, subject: str, body: str, audience: str, employer: str = "", by
) -> MassEmail:
    """Change a draft; an email already queued or sent is refused. The audit trail gets the before and after."""
    draft = MassEmail.objects.select_for_update().get(pk=mass_email.pk)
    if draft.status != MassEmail.DRAFT:
        raise ValidationError(f"Only a draft can be changed: this email is {draft.get_status_display().lower()}.")
    before = field_snapshot(draft, list(FIELDS))
    _fill(draft, subject=subject, body=body, audience=audience, employer=employer)
    draft.save(update_fields=list(FIELDS))
    audit_log(instance=draft, action=EDIT, by=by, before=before, after=field_snapshot(draft, list(FIELDS)))
    return draft
