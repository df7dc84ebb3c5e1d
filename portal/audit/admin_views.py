"""The admin's *Reports → Audit trail*: every staff action with who, when and what changed (before → after),
filtered and searched, exported as CSV or XLSX. Read only, for auditors and administrators."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from wagtail.log_actions import registry

from portal.society.tabular import CONTENT_TYPES, Section, TabularReport, render

from .selectors import (
    ALL,
    SACCO,
    SCOPES,
    AuditFilters,
    audit_entries,
    audit_entry_row,
    audit_filters_parse,
    audit_readable,
    sacco_action,
)

EXPORT_LIMIT = 5000
PAGE_SIZE = 50  # the page stays under 60 KB (staff read it on phones too); ?limit= asks for more
COLUMNS = ["When", "Who", "Action", "Record type", "Record id", "Record", "What happened"]


def _export(entries, output: str) -> HttpResponse:
    rows = []
    for entry in entries:
        row = audit_entry_row(entry)
        rows.append(
            [
                timezone.localtime(row["timestamp"]).strftime("%Y-%m-%d %H:%M:%S"),
                row["user"] or "system",
                row["action"],
                row["object_type"] or "",
                row["object_id"],
                row["label"],
                row["message"],
            ]
        )
    report = TabularReport(
        "Audit trail", f"{len(rows)} entries", [Section("Audit trail", COLUMNS, rows)], timezone.now()
    )
    response = HttpResponse(render(report, output), content_type=CONTENT_TYPES[output])
    response["Content-Disposition"] = f'attachment; filename="audit-trail-{timezone.localdate()}.{output}"'
    return response


def _action_groups(scope: str, action: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The action filter's choices in groups: the SACCO's actions and approvals, and only when all actions are
    asked for (or one of them is chosen), the CMS's: about thirty, which finance staff never need."""
    registry.scan_for_actions()
    choices = sorted(registry.get_choices(), key=lambda choice: str(choice[1]))
    groups = [
        ("SACCO actions", [c for c in choices if c[0].startswith("sacco.")]),
        ("Approvals", [c for c in choices if sacco_action(c[0]) and not c[0].startswith("sacco.")]),
    ]
    if scope == ALL or (action and not sacco_action(action)):
        groups.append(("Website and admin (CMS)", [c for c in choices if not sacco_action(c[0])]))
    return groups


def audit_trail_view(request):
    if not audit_readable(request.user):
        raise PermissionDenied
    errors = {}
    try:
        filters = audit_filters_parse(request.GET, default_scope=SACCO)
    except ValidationError as exc:
        errors, filters = exc.message_dict, AuditFilters(scope=SACCO)
    if not request.GET.get("limit"):
        filters.limit = PAGE_SIZE
    output = request.GET.get("export")
    if output in ("csv", "xlsx") and not errors:
        filters.offset, filters.limit = 0, EXPORT_LIMIT
        return _export(audit_entries(filters), output)
    entries = audit_entries(filters) if not errors else []
    query = request.GET.copy()
    query.pop("offset", None)
    return TemplateResponse(
        request,
        "audit/admin/trail.html",
        {
            "entries": [audit_entry_row(e) for e in entries],
            "errors": errors,
            "params": request.GET,
            "query": query.urlencode(),
            "next_offset": filters.offset + filters.limit if len(entries) == filters.limit else None,
            "previous_offset": max(filters.offset - filters.limit, 0) if filters.offset else None,
            "action_groups": _action_groups(filters.scope, filters.action),
            "scopes": SCOPES.items(),
            "scope": filters.scope,
        },
    )
