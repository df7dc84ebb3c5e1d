"""/api/reports/audit-logs/ (R4): Wagtail's own action log — every admin create, edit and delete of a
snippet or page, every revision, every workflow submission, approval, rejection and cancellation (loans, KYC,
statements, dividends) — with who, what and when, read only, for Auditors and Administrators.

Staff actions made through the services are in the same log (portal/audit): `sacco.edit` with before/after
values, `sacco.status`, `sacco.post`, `sacco.reverse`, `sacco.action`; "message" says it in words.

Filters: ?user=<email>, ?action=<e.g. wagtail.workflow.approve or sacco.edit>, ?object_type=<app.model>,
?object_id=<pk>, ?search=<text in the label or the data>, ?since=YYYY-MM-DD, ?until=YYYY-MM-DD; ?limit (≤ 500,
default 100) and ?offset. The admin's *Reports → Site history* shows, filters and exports the same log."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.audit.selectors import MAX_LIMIT, audit_entries, audit_entry_row, audit_filters_parse, audit_readable

from .params import query_int


class IsAuditor(BasePermission):
    message = "The audit log is for auditors and administrators."

    def has_permission(self, request, view):
        return audit_readable(request.user)


class AuditEntrySerializer(serializers.Serializer):
    timestamp = serializers.DateTimeField()
    user = serializers.EmailField(allow_null=True, help_text="Empty for the system (jobs, migrations).")
    action = serializers.CharField(help_text="e.g. wagtail.edit, wagtail.workflow.approve, sacco.edit, sacco.post")
    object_type = serializers.CharField(allow_null=True, help_text="app_label.model")
    object_id = serializers.CharField()
    label = serializers.CharField()
    message = serializers.CharField(help_text="The entry in words.")
    data = serializers.JSONField(help_text="Before/after values and other details; an object (may be empty).")


class AuditLogPageSerializer(serializers.Serializer):
    offset = serializers.IntegerField()
    limit = serializers.IntegerField()
    results = AuditEntrySerializer(many=True)


MAX_OFFSET = 10**9


class AuditLogView(APIView):
    permission_classes = [IsAuditor]

    @extend_schema(
        parameters=[
            *(OpenApiParameter(name, str, required=False) for name in ("user", "action", "object_id", "search")),
            OpenApiParameter("object_type", str, required=False, description="app_label.model, e.g. loans.loan"),
            OpenApiParameter("since", OpenApiTypes.DATE, required=False),
            OpenApiParameter("until", OpenApiTypes.DATE, required=False),
            OpenApiParameter("limit", int, required=False, description=f"default 100, at most {MAX_LIMIT}"),
            OpenApiParameter("offset", int, required=False),
        ],
        responses={200: AuditLogPageSerializer},
    )
    def get(self, request):
        # Whole numbers in range before the selector sees them: a 20-digit offset overflows the database's integer,
        # and PostgreSQL refuses text with a NUL character in it.
        for name, value in request.query_params.items():
            if "\x00" in value:
                return Response({name: ["Remove the NUL character."]}, status=400)
        query_int(request.query_params, "limit")
        query_int(request.query_params, "offset", min_value=0, max_value=MAX_OFFSET)
        filters = audit_filters_parse(request.query_params)
        entries = audit_entries(filters)
        return Response(
            {"offset": filters.offset, "limit": filters.limit, "results": [audit_entry_row(e) for e in entries]}
        )
