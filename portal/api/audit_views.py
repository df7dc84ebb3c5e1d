"""/api/reports/audit-logs/ (R4, first part): Wagtail's own action log — every admin create, edit and delete of a
snippet or page, every revision, every workflow submission, approval, rejection and cancellation (loans, KYC,
statements, dividends) — with who, what and when, read only, for Auditors and Administrators.

Filters: ?user=<email>, ?action=<wagtail action, e.g. wagtail.workflow.approve>, ?object_type=<app.model>,
?since=YYYY-MM-DD, ?until=YYYY-MM-DD; ?limit (≤ 500, default 100) and ?offset. The admin's *Reports → Site
history* shows and exports the same log. Money postings are their own audit trail (the journal: posted_by,
posted_at, nothing edited or deleted)."""

import datetime

from django.contrib.contenttypes.models import ContentType
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView
from wagtail.models import ModelLogEntry, PageLogEntry

from portal.members import roles

MAX_LIMIT = 500


class IsAuditor(BasePermission):
    message = "The audit log is for auditors and administrators."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return user.is_superuser or user.groups.filter(name__in=[roles.AUDITORS, roles.ADMINISTRATORS]).exists()


def _date(value):
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


class AuditLogView(APIView):
    permission_classes = [IsAuditor]

    @extend_schema(
        parameters=[
            OpenApiParameter(name, str, required=False)
            for name in ("user", "action", "object_type", "since", "until", "limit", "offset")
        ],
        responses={200: None},
    )
    def get(self, request):
        params = request.query_params
        errors = {}
        try:
            limit = min(max(int(params.get("limit", 100)), 1), MAX_LIMIT)
            offset = max(int(params.get("offset", 0)), 0)
        except ValueError:
            errors["limit"] = ["limit and offset are whole numbers."]
        since, until = _date(params.get("since")), _date(params.get("until"))
        for name, value in (("since", since), ("until", until)):
            if params.get(name) and value is None:
                errors[name] = [f"{params.get(name)!r} is not a date (YYYY-MM-DD)."]
        content_type = None
        if params.get("object_type"):
            app_label, _, model = params["object_type"].partition(".")
            content_type = ContentType.objects.filter(app_label=app_label, model=model.lower()).first()
            if content_type is None:
                errors["object_type"] = [f"{params['object_type']!r} is not a known app.model."]
        if errors:
            return Response(errors, status=400)
        entries = []
        for model in (ModelLogEntry, PageLogEntry):
            queryset = model.objects.select_related("user", "content_type").order_by("-timestamp")
            if params.get("user"):
                queryset = queryset.filter(user__email__iexact=params["user"])
            if params.get("action"):
                queryset = queryset.filter(action=params["action"])
            if content_type is not None:
                queryset = queryset.filter(content_type=content_type)
            if since:
                queryset = queryset.filter(timestamp__date__gte=since)
            if until:
                queryset = queryset.filter(timestamp__date__lte=until)
            entries += list(queryset[: offset + limit])
        entries.sort(key=lambda e: e.timestamp, reverse=True)
        return Response(
            {
                "offset": offset,
                "limit": limit,
                "results": [
                    {
                        "timestamp": entry.timestamp,
                        "user": entry.user.email if entry.user else None,
                        "action": entry.action,
                        "object_type": f"{entry.content_type.app_label}.{entry.content_type.model}"
                        if entry.content_type
                        else None,
                        "object_id": str(getattr(entry, "object_id", "") or getattr(entry, "page_id", "")),
                        "label": entry.label,
                        "data": entry.data,
                    }
                    for entry in entries[offset : offset + limit]
                ],
            }
        )
