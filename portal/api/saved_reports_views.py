"""/api/reports/reports/ and /api/reports/saved-reports/ (R6): run a report now, save it as a template, run a
template, schedule it. Every call sees only the report types the caller's role may see; recipients are given by
email address and must be staff allowed to see the report too."""

import unicodedata

from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.members.models import User
from portal.reports.catalogue import REPORT_TYPE_CHOICES, Period
from portal.reports.exports import CONTENT_TYPES
from portal.reports.models import Frequency, OutputFormat, Report, ReportStatus, SavedReport
from portal.reports.saved_reports import (
    report_run,
    saved_report_create,
    saved_report_run,
    saved_report_schedule,
)
from portal.reports.selectors import reports_visible, saved_reports_visible

from .params import query_uuid
from .permissions import HasModelPermission


class ReportSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()
    emailed_to = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "saved_report",
            "report_type",
            "title",
            "covers",
            "period_start",
            "period_end",
            "output_format",
            "trigger",
            "status",
            "error",
            "rows",
            "emailed_to",
            "created_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, run) -> str | None:
        if run.status != ReportStatus.DONE:
            return None
        return f"/api/reports/reports/{run.pk}/download/"

    def get_emailed_to(self, run) -> list[str]:
        return run.emailed_to.splitlines()


def _one_line_text(value: str) -> str:
    """Titles and names go into files: XLSX refuses control characters (a run then fails) and PostgreSQL refuses
    NUL, so they are refused here, naming the field."""
    if any(unicodedata.category(character) in ("Cc", "Cs") for character in value):
        raise serializers.ValidationError("Remove the control characters (tabs, line breaks and the like).")
    return value


class RunSerializer(serializers.Serializer):
    report_type = serializers.ChoiceField(choices=REPORT_TYPE_CHOICES)
    period = serializers.ChoiceField(choices=Period.choices, default=Period.PREVIOUS_MONTH)
    start_date = serializers.DateField(required=False, allow_null=True)
    end_date = serializers.DateField(required=False, allow_null=True)
    output_format = serializers.ChoiceField(choices=OutputFormat.choices, default=OutputFormat.PDF)
    title = serializers.CharField(required=False, allow_blank=True, max_length=150, validators=[_one_line_text])


def _users_by_email(emails, field="recipients"):
    """Staff accounts for the addresses given; an address with no account is named in the error."""
    users = list(User.objects.filter(email__in=emails))
    known = {u.email.lower() for u in users}
    unknown = [e for e in emails if e.lower() not in known]
    if unknown:
        raise ValidationError({field: [f"No account for: {', '.join(unknown)}."]})
    return users


def _run_response(run: Report) -> Response:
    """201 with the run (and its download URL); a run that failed while building is stored and answered as 500."""
    code = status.HTTP_201_CREATED if run.status == ReportStatus.DONE else status.HTTP_500_INTERNAL_SERVER_ERROR
    return Response(ReportSerializer(run).data, status=code)


class ReportListView(generics.ListAPIView):
    """GET: the runs of report types you may see, newest first (`?saved_report=<id>` for one template's).
    POST {report_type, period, start_date?, end_date?, output_format, title?}: run a report now and keep its file."""

    serializer_class = ReportSerializer
    permission_classes = [HasModelPermission("reports.view_report")]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Report.objects.none()
        runs = reports_visible(self.request.user)
        if saved := query_uuid(self.request.query_params, "saved_report"):
            runs = runs.filter(saved_report_id=saved)
        return runs

    @extend_schema(parameters=[OpenApiParameter("saved_report", OpenApiTypes.UUID, required=False)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=RunSerializer, responses={201: ReportSerializer})
    def post(self, request):
        data = RunSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = report_run(by=request.user, **data.validated_data)
        return _run_response(run)


class ReportDownloadView(APIView):
    """GET: a run's file (PDF, XLSX or CSV), for roles that may see its report type."""

    permission_classes = [HasModelPermission("reports.view_report")]

    @extend_schema(
        responses={(200, content_type): OpenApiTypes.BINARY for content_type in dict.fromkeys(CONTENT_TYPES.values())}
    )
    def get(self, request, pk):
        run = get_object_or_404(reports_visible(request.user), pk=pk, status=ReportStatus.DONE)
        return FileResponse(
            run.file.open("rb"),
            as_attachment=True,
            filename=run.file.name.rsplit("/", 1)[-1],
            content_type=CONTENT_TYPES.get(run.output_format, "application/octet-stream"),
        )


# The API says "none" for a template without a schedule (the model stores "").
FREQUENCY_CHOICES = [("none", "Not scheduled"), *[(v, label) for v, label in Frequency.choices if v]]


class SavedReportSerializer(serializers.ModelSerializer):
    frequency = serializers.SerializerMethodField()
    recipients = serializers.SerializerMethodField()
    owner = serializers.SerializerMethodField()
    next_run = serializers.DateTimeField(read_only=True, allow_null=True, help_text="Empty when not scheduled.")

    class Meta:
        model = SavedReport
        fields = [
            "id",
            "name",
            "report_type",
            "period",
            "start_date",
            "end_date",
            "output_format",
            "frequency",
            "recipients",
            "owner",
            "next_run",
            "last_run_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_frequency(self, saved) -> str:
        return saved.frequency or "none"

    def get_recipients(self, saved) -> list[str]:
        return sorted(u.email for u in saved.recipients.all())

    def get_owner(self, saved) -> str | None:
        return saved.owner.email if saved.owner_id else None


class SavedReportCreateSerializer(RunSerializer):
    name = serializers.CharField(max_length=150, validators=[_one_line_text])
    frequency = serializers.ChoiceField(choices=FREQUENCY_CHOICES, default="none")
    recipients = serializers.ListField(child=serializers.EmailField(), required=False, default=list)


def _frequency(value: str) -> str:
    return "" if value in ("none", "", None) else value


class SavedReportListView(generics.ListAPIView):
    """GET: report templates of types you may see. POST {name, report_type, period, start_date?, end_date?,
    output_format, frequency: daily|weekly|monthly|none, recipients: [email]}: save one (and schedule it)."""

    serializer_class = SavedReportSerializer
    permission_classes = [HasModelPermission("reports.view_savedreport")]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SavedReport.objects.none()
        return saved_reports_visible(self.request.user).prefetch_related("recipients")

    @extend_schema(request=SavedReportCreateSerializer, responses={201: SavedReportSerializer})
    def post(self, request):
        if not request.user.has_perm("reports.add_savedreport"):
            return Response({"detail": "Your role does not save reports."}, status=status.HTTP_403_FORBIDDEN)
        data = SavedReportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("title", None)
        values["recipients"] = _users_by_email(values.get("recipients", []))
        values["frequency"] = _frequency(values["frequency"])
        saved = saved_report_create(by=request.user, **values)
        return Response(SavedReportSerializer(saved).data, status=status.HTTP_201_CREATED)


class RunReportRequestSerializer(serializers.Serializer):
    email = serializers.BooleanField(default=False, help_text="Also email the file to the template's recipients.")


class SavedReportRunView(APIView):
    """POST {email?: bool}: run the template now as the caller; answers the run (201) with its download URL."""

    permission_classes = [HasModelPermission("reports.view_savedreport")]

    @extend_schema(request=RunReportRequestSerializer, responses={201: ReportSerializer})
    def post(self, request, pk):
        saved = get_object_or_404(saved_reports_visible(request.user), pk=pk)
        data = RunReportRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = saved_report_run(saved_report=saved, by=request.user, email=data.validated_data["email"])
        return _run_response(run)


class ScheduleSerializer(serializers.Serializer):
    frequency = serializers.ChoiceField(choices=FREQUENCY_CHOICES)
    recipients = serializers.ListField(
        child=serializers.EmailField(), required=False, help_text="Replaces the list when given."
    )


class SavedReportScheduleView(APIView):
    """POST {frequency: daily|weekly|monthly|none, recipients?: [email]}: schedule the template with django-q2
    (06:00; Mondays for weekly; the 1st for monthly) or stop its schedule."""

    permission_classes = [HasModelPermission("reports.change_savedreport")]

    @extend_schema(request=ScheduleSerializer, responses={200: SavedReportSerializer})
    def post(self, request, pk):
        saved = get_object_or_404(saved_reports_visible(request.user), pk=pk)
        data = ScheduleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        recipients = data.validated_data.get("recipients")
        saved = saved_report_schedule(
            saved_report=saved,
            frequency=_frequency(data.validated_data["frequency"]),
            recipients=_users_by_email(recipients) if recipients is not None else None,
            by=request.user,
        )
        return Response(SavedReportSerializer(saved).data)
