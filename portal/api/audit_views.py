"""/api/reports/audit-logs/ (R4): Wagtail's own action log — every admin create, edit and delete of a
snippet or page, every revision, every workflow submission, approval, rejection and cancellation (loans, KYC,
statements, dividends) — with who, what and when, read only, for Auditors and Administrators.

Staff actions made through the services are in the same log (portal/audit): `sacco.edit` with before/after
values, `sacco.status`, `sacco.post`, `sacco.reverse`, `sacco.action`; "message" says it in words.

Filters: ?user=<email>, ?action=<e.g. wagtail.workflow.approve or sacco.edit>, ?object_type=<app.model>,
?object_id=<pk>, ?search=<text in the label or the data>, ?since=YYYY-MM-DD, ?until=YYYY-MM-DD; ?limit (≤ 500,
default 100) and ?offset. The admin's *Reports → Site history* shows, filters and exports the same log."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.audit.selectors import audit_entries, audit_entry_row, audit_filters_parse, audit_readable

from .errors import validation_error_response


class IsAuditor(BasePermission):
    message = "The audit log is for auditors and administrators."

    def has_permission(self, request, view):
        return audit_readable(request.user)


class AuditLogView(APIView):
    permission_classes = [IsAuditor]

    @extend_schema(
        parameters=[
            OpenApiParameter(name, str, required=False)
            for name in ("user", "action", "object_type", "object_id", "search", "since", "until", "limit", "offset")
        ],
        responses={200: None},
    )
    def get(self, request):
        try:
            filters = audit_filters_parse(request.query_params)
        except ValidationError as exc:
            return validation_error_response(exc)
        entries = audit_entries(filters)
        return Response(
            {"offset": filters.offset, "limit": filters.limit, "results": [audit_entry_row(e) for e in entries]}
        )
