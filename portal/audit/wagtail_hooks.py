"""The audit trail's actions in Wagtail's log, how the admin shows them, and before/after values for every
snippet and setting edited in the admin (Wagtail logs that an edit happened; these hooks add what changed)."""

from django.urls import path
from wagtail import hooks
from wagtail.log_actions import LogFormatter

from .admin_views import audit_trail_view
from .changes import field_snapshot
from .services import ACTION, EDIT, POST, REVERSE, STATUS, VOTE, audit_log

MAX_SHOWN = 8


def describe_changes(changes: dict) -> str:
    parts = [
        f"{field}: {c['before'] if c['before'] not in (None, '') else '—'} → {c['after']}"
        for field, c in changes.items()
    ]
    more = f"; and {len(parts) - MAX_SHOWN} more" if len(parts) > MAX_SHOWN else ""
    return "; ".join(parts[:MAX_SHOWN]) + more


class _Formatter(LogFormatter):
    def format_message(self, log_entry):
        data = log_entry.data or {}
        text = data.get("summary", "")
        if data.get("changes"):
            text = f"{text} — {describe_changes(data['changes'])}" if text else describe_changes(data["changes"])
        return text or self.label


@hooks.register("register_log_actions")
def register_audit_actions(actions):
    for action, label in (
        (EDIT, "Changed"),
        (STATUS, "Status changed"),
        (VOTE, "Committee vote"),
        (POST, "Posted"),
        (REVERSE, "Reversed"),
        (ACTION, "Staff action"),
    ):
        actions.register_action(action)(type(f"Formatter_{label.replace(' ', '_')}", (_Formatter,), {"label": label}))


def audit_remember_before(request, instance):
    """Before an admin edit (snippet or setting) is saved: the values as they were."""
    if request.method == "POST":
        request._audit_before = field_snapshot(instance)


def audit_record_after(request, instance):
    """After an admin create or edit: the values now, against those remembered (none for a new record).
    A service-backed admin view (portal/society/admin_edit.py) marks the request: its service logged already."""
    if getattr(request, "_audit_logged_by_service", False):
        return
    before = getattr(request, "_audit_before", None)
    fresh = type(instance)._default_manager.filter(pk=instance.pk).first()
    if fresh is not None:
        audit_log(instance=fresh, action=EDIT, by=request.user, before=before, after=field_snapshot(fresh))


for hook_name in ("before_edit_snippet", "before_edit_setting"):
    hooks.register(hook_name, audit_remember_before)
for hook_name in ("after_edit_snippet", "after_create_snippet", "after_edit_setting"):
    hooks.register(hook_name, audit_record_after)


@hooks.register("register_admin_urls")
def audit_admin_urls():
    return [path("audit/", audit_trail_view, name="audit_trail")]


# Users: who may sign in, and with which roles (groups), is what an auditor most wants to see change.
USER_FIELDS = ["email", "first_name", "last_name", "is_active", "is_staff", "is_superuser", "password"]


def _user_snapshot(user) -> dict:
    snapshot = field_snapshot(user, USER_FIELDS)
    snapshot["groups"] = ", ".join(sorted(user.groups.values_list("name", flat=True)))
    return snapshot


def _record_user(request, user):
    fresh = type(user)._default_manager.filter(pk=user.pk).first()
    if fresh is not None:
        before = getattr(request, "_audit_user_before", None)
        audit_log(instance=fresh, action=EDIT, by=request.user, before=before, after=_user_snapshot(fresh))


@hooks.register("before_edit_user")
def audit_before_user_edit(request, user):
    if request.method == "POST":
        request._audit_user_before = _user_snapshot(user)


@hooks.register("after_edit_user")
def audit_after_user_edit(request, user):
    _record_user(request, user)


@hooks.register("after_create_user")
def audit_after_user_create(request, user):
    _record_user(request, user)
