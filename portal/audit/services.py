"""Write to the audit trail (R4): Wagtail's action log, so the admin's *Site history*, its exports and
/api/reports/audit-logs/ show staff actions made through the services beside the admin's own entries.

Actions: `sacco.edit` (a record's fields changed, before and after), `sacco.status` (a status changed, with the
reason), `sacco.vote` (a committee member's vote), `sacco.post` (money posted), `sacco.reverse` (a posting
reversed), `sacco.action` (anything else staff did: unlocked an account, reset a second factor, matched a bank
line, made a backup…). Entries are only ever added.
"""

import uuid

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from wagtail.log_actions import get_active_log_context, log
from wagtail.models import ModelLogEntry

from .changes import changes_between

EDIT, STATUS, POST, REVERSE, ACTION = "sacco.edit", "sacco.status", "sacco.post", "sacco.reverse", "sacco.action"
VOTE = "sacco.vote"  # one committee member's vote, whether or not it finishes the step


def audit_log(
    *,
    instance,
    action: str,
    by=None,
    summary: str = "",
    changes: dict | None = None,
    before: dict | None = None,
    after: dict | None = None,
    data: dict | None = None,
):
    """One entry for `instance`: who (`by`, else the signed-in admin user), what (`summary`), before/after values
    (`changes`, or computed from `before` and `after` snapshots). An edit that changed nothing is not logged."""
    if changes is None and after is not None:
        changes = changes_between(before, after)
    if action == EDIT and not changes:
        return None
    payload = dict(data or {})
    if summary:
        payload["summary"] = summary
    if changes:
        payload["changes"] = changes
    return log(instance=instance, action=action, user=by, data=payload, content_changed=bool(changes))


def audit_log_many(*, instances, action: str, by=None, summary_for) -> int:
    """The same action on many records in one INSERT (a batch of counter payments): `summary_for(instance)`."""
    instances = list(instances)
    if not instances:
        return 0
    context = get_active_log_context()
    user = by or context.user
    shared = context.uuid or uuid.uuid4()
    now = timezone.now()
    content_type = ContentType.objects.get_for_model(type(instances[0]), for_concrete_model=False)
    ModelLogEntry.objects.bulk_create(
        [
            ModelLogEntry(
                content_type=content_type,
                object_id=str(instance.pk),
                label=str(instance)[:255],
                action=action,
                data={"summary": summary_for(instance)},
                timestamp=now,
                uuid=shared,
                user=user,
                content_changed=True,
            )
            for instance in instances
        ]
    )
    return len(instances)
