"""Admin pages for reports: financial statements for any period (on screen, CSV, XLSX, PDF; prepared for
approval from here), and a snapshot's download."""

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone

from portal.members.otp_views import fresh_otp_required
from portal.society.private_files import private_file_response

from .backups import backup_create
from .exports import FORMATS, statements_response
from .financial import financial_statements
from .forms import PeriodForm
from .models import Backup, BackupStatus, FinancialStatement
from .services import financial_statement_prepare

VIEW_LEDGER = "finance.view_journalentry"
DOWNLOADS = [("csv", "CSV"), ("xlsx", "XLSX"), ("pdf", "PDF")]


def _default_period() -> dict:
    today = timezone.localdate()
    return {"start": datetime.date(today.year, 1, 1), "end": today}


def financial_statements_view(request):
    """The statements for a period (this year to date unless the query names one); `output=csv|xlsx|pdf`
    downloads the same period. The download links carry the period shown, so they work on a first visit too."""
    if not request.user.has_perm(VIEW_LEDGER):
        raise PermissionDenied
    period_given = "start" in request.GET or "end" in request.GET
    form = PeriodForm(request.GET if period_given else None, initial=_default_period())
    data = None
    if not period_given:
        start, end = _default_period()["start"], _default_period()["end"]
    elif form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    else:
        start = end = None
    if start is not None:
        data = financial_statements(start=start, end=end)
        output = request.GET.get("output")
        if output in FORMATS:
            return statements_response(data=data, title="Financial statements", output=output)
    if request.method == "POST":
        if not request.user.has_perm("reports.prepare_financialstatement"):
            raise PermissionDenied
        post = PeriodForm(request.POST)
        if post.is_valid():
            try:
                statement = financial_statement_prepare(
                    start=post.cleaned_data["start"], end=post.cleaned_data["end"], by=request.user
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, f"“{statement}” is prepared and waiting for approval.")
                return redirect("wagtailsnippets_reports_financialstatement:list")
    period = urlencode({"start": start.isoformat(), "end": end.isoformat()}) if start is not None else ""
    return TemplateResponse(
        request,
        "reports/admin/financial_statements.html",
        {
            "form": form,
            "data": data,
            "downloads": [(label, f"?{period}&output={output}") for output, label in DOWNLOADS] if period else [],
            "can_prepare": request.user.has_perm("reports.prepare_financialstatement"),
            "start": start,
            "end": end,
        },
    )


def financial_statement_download_view(request, pk, output):
    if output not in FORMATS:
        raise PermissionDenied
    statement = get_object_or_404(FinancialStatement, pk=pk)
    if not request.user.has_perm("reports.view_financialstatement"):
        raise PermissionDenied
    return statements_response(data=statement.data, title=statement.title, output=output)


def backups_view(request):
    """Administrators: the backups, newest first; *Back up now* queues one."""
    if not request.user.has_perm("reports.view_backup"):
        raise PermissionDenied

    if request.method == "POST":
        if not request.user.has_perm("reports.add_backup"):
            raise PermissionDenied
        backup_create(by=request.user)
        messages.success(request, "Backup queued; it appears here when the worker has made it.")
        return redirect("reports_backups")
    return TemplateResponse(
        request, "reports/admin/backups.html", {"backups": Backup.objects.select_related("created_by")[:100]}
    )


@fresh_otp_required
def backup_download_view(request, pk):
    """A backup holds every member's data: administrators only, with a fresh second-factor code."""
    if not request.user.has_perm("reports.view_backup"):
        raise PermissionDenied

    backup = get_object_or_404(Backup, pk=pk, status=BackupStatus.DONE)
    return private_file_response(backup.file.open("rb"), filename=backup.file.name.rsplit("/", 1)[-1])
