"""Reads of the audit trail: Wagtail's action log (snippets, settings, workflows, and the services' own entries
from portal/audit/services) and its page log, newest first, filtered. Used by the admin page and the API."""

import datetime
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Q
from wagtail.models import ModelLogEntry, PageLogEntry

from . import readers

MAX_LIMIT = 500

# Which actions the trail shows (issue 14). SACCO: the services' own entries (`sacco.*`, portal/audit/services.py)
# and the approval steps on SACCO records (Wagtail's `wagtail.workflow.*`: KYC, loan, statement and dividend
# decisions). ALL adds the CMS's ~30 actions (pages, images, documents, snippets edited in the admin...).
SACCO, ALL = "sacco", "all"
SCOPES = {SACCO: "SACCO actions", ALL: "All actions (with the CMS)"}
SACCO_ACTION_PREFIXES = ("sacco.", "wagtail.workflow.")


def sacco_action(action: str) -> bool:
    return action.startswith(SACCO_ACTION_PREFIXES)


def audit_readable(user) -> bool:
    """Superusers and the users a registered reader check admits (auditors and administrators: portal/members
    registers it) read the trail; nobody edits it."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or any(check(user) for check in readers.registered())


@dataclass
class AuditFilters:
    user: str = ""
    action: str = ""
    object_type: ContentType | None = None
    object_id: str = ""
    search: str = ""
    since: datetime.date | None = None
    until: datetime.date | None = None
    limit: int = 100
    offset: int = 0
    scope: str = ALL


def _date(params, name, errors):
    value = params.get(name) or ""
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        errors[name] = [f"{value!r} is not a date (YYYY-MM-DD)."]
        return None


def audit_filters_parse(params, *, default_scope: str = ALL) -> AuditFilters:
    """Filters from a query string; a bad value raises ValidationError naming its parameter. `scope` (sacco or
    all) defaults to `default_scope`: the admin page opens on SACCO actions, the API keeps every action."""
    errors: dict[str, list[str]] = {}
    filters = AuditFilters(
        user=(params.get("user") or "").strip(),
        action=(params.get("action") or "").strip(),
        object_id=(params.get("object_id") or "").strip(),
        search=(params.get("search") or "").strip(),
        scope=(params.get("scope") or default_scope).strip(),
    )
    if filters.scope not in SCOPES:
        errors["scope"] = [f"{filters.scope!r} is not one of: {', '.join(SCOPES)}."]
    try:
        filters.limit = min(max(int(params.get("limit") or 100), 1), MAX_LIMIT)
        filters.offset = max(int(params.get("offset") or 0), 0)
    except ValueError:
        errors["limit"] = ["limit and offset are whole numbers."]
    filters.since = _date(params, "since", errors)
    filters.until = _date(params, "until", errors)
    if params.get("object_type"):
        app_label, _, model = params["object_type"].partition(".")
        filters.object_type = ContentType.objects.filter(app_label=app_label, model=model.lower()).first()
        if filters.object_type is None:
            errors["object_type"] = [f"{params['object_type']!r} is not a known app.model."]
    if errors:
        raise ValidationError(errors)
    return filters


def audit_entries(filters: AuditFilters) -> list:
    """At most `limit` entries after `offset`, from both logs, newest first. A chosen action wins over the scope
    (asking for one CMS action shows it); without one, the SACCO scope leaves out the CMS's actions and pages."""
    entries = []
    sacco_only = filters.scope == SACCO and not filters.action
    for model in (ModelLogEntry, PageLogEntry):
        if sacco_only and model is PageLogEntry:
            continue
        queryset = model.objects.select_related("user", "content_type").order_by("-timestamp", "-pk")
        if filters.user:
            queryset = queryset.filter(user__email__iexact=filters.user)
        if filters.action:
            queryset = queryset.filter(action=filters.action)
        elif sacco_only:
            prefixes = Q()
            for prefix in SACCO_ACTION_PREFIXES:
                prefixes |= Q(action__startswith=prefix)
            queryset = queryset.filter(prefixes)
        if filters.object_type is not None:
            queryset = queryset.filter(content_type=filters.object_type)
        if filters.object_id:
            if model is PageLogEntry:
                if not filters.object_id.isdigit():
                    continue
                queryset = queryset.filter(page_id=int(filters.object_id))
            else:
                queryset = queryset.filter(object_id=filters.object_id)
        if filters.search:
            queryset = queryset.filter(Q(label__icontains=filters.search) | Q(data__icontains=filters.search))
        if filters.since:
            queryset = queryset.filter(timestamp__date__gte=filters.since)
        if filters.until:
            queryset = queryset.filter(timestamp__date__lte=filters.until)
        entries += list(queryset[: filters.offset + filters.limit])
    entries.sort(key=lambda e: e.timestamp, reverse=True)
    return entries[filters.offset : filters.offset + filters.limit]


def audit_entry_row(entry) -> dict:
    """One entry as the API and the exports show it."""
    content_type = entry.content_type
    return {
        "timestamp": entry.timestamp,
        "user": entry.user.email if entry.user else None,
        "action": entry.action,
        "object_type": f"{content_type.app_label}.{content_type.model}" if content_type else None,
        "object_id": str(getattr(entry, "object_id", "") or getattr(entry, "page_id", "")),
        "label": entry.label,
        "message": entry.message,
        "data": entry.data,
    }
