"""Admin for saved reports (R6): templates as snippets whose create, edit and delete go through the services,
a *Run now* page, and the runs with their files. Everyone sees only report types their role may see."""

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.menus import MenuItem as ListingMenuItem
from wagtail.admin.ui.tables import Column
from wagtail.log_actions import log
from wagtail.snippets.views.snippets import DeleteView, InspectView, SnippetViewSet

from portal.finance.permissions import ReadOnlyPermissionPolicy
from portal.members.models import User
from portal.society.admin_edit import ServiceCreateView, ServiceEditView
from portal.society.list_exports import ExportingIndexView
from portal.society.private_files import private_file_response

from .catalogue import REPORT_TYPES, report_types_for
from .models import Report, ReportStatus, SavedReport
from .saved_reports import (
    ReportNotAllowed,
    saved_report_create,
    saved_report_delete,
    saved_report_run,
    saved_report_update,
    saved_report_validate,
)
from .selectors import report_allowed, reports_visible, saved_reports_visible

FIELDS = ["name", "report_type", "period", "start_date", "end_date", "output_format", "frequency", "recipients"]


class SavedReportForm(WagtailAdminModelForm):
    """Offers only the report types the user may see and, as recipients, active staff; the services decide."""

    class Meta:
        model = SavedReport
        fields = FIELDS
        widgets = {"recipients": forms.CheckboxSelectMultiple}

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        if for_user is not None:
            self.fields["report_type"].choices = [("", "---------")] + [
                (t.key, f"{t.label} — {t.description}") for t in report_types_for(for_user)
            ]
        self.fields["recipients"].queryset = User.objects.filter(is_active=True, is_staff=True).order_by("email")
        self.fields["recipients"].label_from_instance = lambda u: f"{u.get_full_name() or u.email} <{u.email}>"

    def clean(self):
        data = super().clean()
        if self.for_user is not None and not self.errors:
            values = _values(self.cleaned_data)
            values.pop("name")
            saved_report_validate(user=self.for_user, **values)  # its ValidationError names the fields
        return data


def _values(data: dict) -> dict:
    return {
        "name": data["name"],
        "report_type": data["report_type"],
        "period": data["period"],
        "start_date": data.get("start_date"),
        "end_date": data.get("end_date"),
        "output_format": data["output_format"],
        "frequency": data.get("frequency") or "",
        "recipients": list(data.get("recipients") or []),
    }


class SavedReportCreateView(ServiceCreateView):
    """Saving goes through `saved_report_create` (its checks, the schedule, the audit entry)."""

    def call_service(self, *, instance, data, by):
        return saved_report_create(by=by, **_values(data))


class _OwnTypeOnly:
    def get_object(self, queryset=None):
        instance = super().get_object(queryset)
        if not report_allowed(self.request.user, REPORT_TYPES[instance.report_type]):
            raise PermissionDenied
        return instance


class SavedReportEditView(_OwnTypeOnly, ServiceEditView):
    """Saving goes through `saved_report_update` (its checks, the schedule, the audit entry)."""

    def call_service(self, *, instance, data, by):
        return saved_report_update(saved_report=instance, by=by, **_values(data))


class SavedReportDeleteView(_OwnTypeOnly, DeleteView):
    def delete_action(self):
        log(instance=self.object, action="wagtail.delete")
        saved_report_delete(saved_report=self.object, by=self.request.user)


class SavedReportIndexView(ExportingIndexView):
    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        buttons.append(
            ListingMenuItem("Run now", url=reverse("reports_saved_run", args=[instance.pk]), icon_name="resubmit")
        )
        runs = reverse("wagtailsnippets_reports_report:list") + f"?saved_report={instance.pk}"
        buttons.append(ListingMenuItem("Runs", url=runs, icon_name="history"))
        return buttons


class SavedReportViewSet(SnippetViewSet):
    """Report templates: a type, a period relative to the run day, a format; scheduled daily, weekly or monthly."""

    model = SavedReport
    icon = "list-ul"
    menu_label = "Saved reports"
    index_view_class = SavedReportIndexView
    add_view_class = SavedReportCreateView
    edit_view_class = SavedReportEditView
    delete_view_class = SavedReportDeleteView
    list_display = [
        "name",
        Column("report_type", label="Report", accessor="get_report_type_display"),
        Column("period", label="Period", accessor="get_period_display"),
        Column("frequency", label="Schedule", accessor="get_frequency_display"),
        Column("next_run", label="Next run"),
        "last_run_at",
        "owner",
    ]
    list_filter = ["report_type", "frequency"]
    list_export = ["name", "report_type", "period", "output_format", "frequency", "next_run", "last_run_at", "owner"]
    export_filename = "saved-reports"

    def get_queryset(self, request):
        return saved_reports_visible(request.user)

    def get_form_class(self, for_update=False):
        return SavedReportForm


class ReportIndexView(ExportingIndexView):
    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        if instance.status == ReportStatus.DONE:
            url = reverse("reports_run_download", args=[instance.pk])
            buttons.append(ListingMenuItem("Download", url=url, icon_name="download"))
        return buttons


def _visible_templates(request):
    return saved_reports_visible(request.user) if request is not None else SavedReport.objects.none()


class ReportFilterSet(WagtailFilterSet):
    """The template filter offers only the templates the person may see (their names are not for everyone)."""

    saved_report = django_filters.ModelChoiceFilter(queryset=_visible_templates, label="Saved report")

    class Meta:
        model = Report
        fields = ["report_type", "status", "trigger", "saved_report"]


class ReportInspectView(InspectView):
    def get_object(self, queryset=None):
        run = super().get_object(queryset)
        if not reports_visible(self.request.user).filter(pk=run.pk).exists():
            raise PermissionDenied
        return run


class ReportViewSet(SnippetViewSet):
    """Every run of a report, newest first, with its file; nothing here is edited."""

    model = Report
    icon = "doc-full"
    menu_label = "Report runs"
    index_view_class = ReportIndexView
    permission_policy = ReadOnlyPermissionPolicy(Report)
    inspect_view_enabled = True
    inspect_view_class = ReportInspectView
    inspect_view_fields = [
        "title",
        "report_type",
        "covers",
        "output_format",
        "trigger",
        "status",
        "error",
        "rows",
        "requested_by",
        "emailed_to",
        "created_at",
    ]
    list_display = [
        "title",
        "covers",
        Column("trigger", accessor="get_trigger_display"),
        Column("status", accessor="get_status_display"),
        "rows",
        "requested_by",
        "created_at",
    ]
    filterset_class = ReportFilterSet
    list_export = ["title", "report_type", "covers", "trigger", "status", "error", "rows", "emailed_to", "created_at"]
    export_filename = "report-runs"

    def get_queryset(self, request):
        return reports_visible(request.user)


def saved_report_run_view(request, pk):
    """Confirm, then run a saved report now as the person asking; optionally email it to its recipients."""
    if not request.user.has_perm("reports.view_savedreport"):
        raise PermissionDenied
    saved = get_object_or_404(saved_reports_visible(request.user), pk=pk)
    if request.method == "POST":
        try:
            run = saved_report_run(saved_report=saved, by=request.user, email=bool(request.POST.get("email")))
        except ReportNotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("reports_saved_run", pk=saved.pk)
        if run.status == ReportStatus.DONE:
            sent = f" and sent to {len(run.emailed_to.splitlines())} recipients" if run.emailed_to else ""
            messages.success(
                request,
                f"“{run}” is ready{sent}.",
                buttons=[
                    messages.button(reverse("reports_run_download", args=[run.pk]), "Download"),
                ],
            )
        else:
            messages.error(request, f"“{saved}” failed: {run.error}")
        return redirect(reverse("wagtailsnippets_reports_report:list") + f"?saved_report={saved.pk}")
    return TemplateResponse(
        request, "reports/admin/saved_report_run.html", {"saved": saved, "recipients": saved.recipients.all()}
    )


def report_download_view(request, pk):
    """A run's file, for people whose role may see that report type."""
    if not request.user.has_perm("reports.view_report"):
        raise PermissionDenied
    run = get_object_or_404(reports_visible(request.user), pk=pk, status=ReportStatus.DONE)
    return private_file_response(run.file.open("rb"), filename=run.file.name.rsplit("/", 1)[-1])
