"""Admin pages for reports: financial statements for any period (on screen, CSV, XLSX, PDF; prepared for
approval from here), and a snapshot's download."""

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from portal.members.otp_views import fresh_otp_required
from portal.society.private_files import private_file_response
from portal.society.replica import reads_from_replica
from portal.society.tabular import TabularReport, tabular_response

from .backups import backup_create
from .export_jobs import (
    EXPORT_KINDS,
    background_rows,
    export_job_in_flight,
    export_job_start,
    export_job_visible,
    export_request_check,
    saved_report_rows,
)
from .exports import FORMATS, statement_rows, statements_response
from .financial import financial_statements
from .forms import MonthEndForm, PeriodForm
from .models import Backup, BackupStatus, ExportJob, ExportJobStatus, FinancialStatement, SasraReturn
from .sasra import sasra_returns, sasra_sections
from .saved_report_admin import saved_report_run_view
from .saved_reports import ReportNotAllowed
from .selectors import saved_reports_visible
from .services import financial_statement_prepare, sasra_return_prepare

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
        with reads_from_replica():  # a report: from the read replica if there is one (POST prepares on the primary)
            data = financial_statements(start=start, end=end)
        output = request.GET.get("output")
        if output in FORMATS:
            rows = sum(1 for _ in statement_rows(data))
            if rows > background_rows():  # a GET starts nothing: the export's page asks, with a button
                period = {"start": start.isoformat(), "end": end.isoformat()}
                query = urlencode({"export": "financial_statements", "format": output, **period})
                return redirect(f"{reverse('reports_export_start')}?{query}")
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


def _last_month_end() -> datetime.date:
    return timezone.localdate().replace(day=1) - datetime.timedelta(days=1)


def _sasra_xlsx(data: dict, title: str):
    as_of = datetime.date.fromisoformat(data["as_of"])
    report = TabularReport(title, f"as of {as_of:%d %b %Y}", sasra_sections(data), timezone.now())
    return tabular_response(report, output="xlsx", filename=f"sasra-returns-{as_of.isoformat()}")


def sasra_returns_view(request):
    """The SASRA returns at a month end (last month's unless the query names one): each figure opens to the
    accounts that make it; `output=xlsx` downloads them; POST prepares a snapshot for approval."""
    if not request.user.has_perm(VIEW_LEDGER):
        raise PermissionDenied
    can_prepare = request.user.has_perm("reports.prepare_sasrareturn")
    if request.method == "POST":
        if not can_prepare:
            raise PermissionDenied
        post = MonthEndForm(request.POST)
        if post.is_valid():
            try:
                record = sasra_return_prepare(as_of=post.cleaned_data["as_of"], by=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, f"“{record}” is prepared and waiting for approval.")
                return redirect("wagtailsnippets_reports_sasrareturn:list")
        else:
            messages.error(request, " ".join(post.errors.get("as_of", ["Pick a month end."])))
    given = "as_of" in request.GET
    form = MonthEndForm(request.GET if given else None, initial={"as_of": _last_month_end()})
    as_of = data = None
    if not given:
        as_of = _last_month_end()
    elif form.is_valid():
        as_of = form.cleaned_data["as_of"]
    if as_of is not None:
        with reads_from_replica():
            data = sasra_returns(as_of=as_of)
        if request.GET.get("output") == "xlsx":
            return _sasra_xlsx(data, "SASRA returns")
    return TemplateResponse(
        request,
        "reports/admin/sasra_returns.html",
        {"form": form, "data": data, "as_of": as_of, "can_prepare": can_prepare},
    )


def sasra_return_download_view(request, pk):
    """An approval snapshot as XLSX: exactly the numbers that were prepared."""
    if not request.user.has_perm("reports.view_sasrareturn"):
        raise PermissionDenied
    record = get_object_or_404(SasraReturn, pk=pk)
    return _sasra_xlsx(record.data, record.title)


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


@require_http_methods(["GET", "POST"])
def export_job_start_view(request):
    """`?export=<kind>&format=<csv|xlsx|pdf>&<the kind's parameters>`: where a download page sends a download too
    large to build while the browser waits. A GET changes nothing: it shows what will be built (its rows counted,
    nothing built) with a button, or the same export's page if it is already waiting or building. The button's POST
    (CSRF-checked) starts the job, or finds the one already in flight, and goes to its page."""
    data = request.POST if request.method == "POST" else request.GET
    kind = EXPORT_KINDS.get(data.get("export", ""))
    if kind is None:
        raise Http404
    if not request.user.has_perm(kind.permission):
        raise PermissionDenied
    try:
        if request.method == "POST":
            job = export_job_start(kind=kind.key, params=data.dict(), output=data.get("format", ""), by=request.user)
            return redirect("reports_export_job", pk=job.pk)
        asked = export_request_check(kind=kind.key, params=data.dict(), output=data.get("format", ""), by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return TemplateResponse(request, "reports/admin/export_job.html", {"job": None}, status=400)
    running = export_job_in_flight(by=request.user, fingerprint=asked.fingerprint)
    if running is not None:
        return redirect("reports_export_job", pk=running.pk)
    fields = {"export": kind.key, "format": asked.output, **asked.params}
    return TemplateResponse(
        request,
        "reports/admin/export_job_confirm.html",
        {"asked": asked, "fields": sorted(fields.items()), "emails": _emailed_to(asked, request.user)},
    )


def _emailed_to(asked, user) -> list:
    """Whom a saved report built in the background will be emailed to, for the confirmation page to say."""
    if asked.kind.key != "saved_report" or asked.params.get("email") != "1":
        return []
    saved = saved_reports_visible(user).filter(pk=asked.params["saved_report"]).first()
    return list(saved.recipients.all()) if saved is not None else []


def _visible_job(request, pk) -> ExportJob:
    """Someone else's export is a 404, not a 403: its existence is not theirs to know."""
    job = get_object_or_404(ExportJob.objects.select_related("requested_by"), pk=pk)
    if not export_job_visible(job=job, user=request.user):
        raise Http404
    return job


def export_job_view(request, pk):
    """An export's progress (the page reloads itself every few seconds while it builds; no script) and, once it
    is ready, its download link."""
    job = _visible_job(request, pk)
    waiting = job.status in (ExportJobStatus.QUEUED, ExportJobStatus.RUNNING)
    return TemplateResponse(request, "reports/admin/export_job.html", {"job": job, "refresh": 3 if waiting else 0})


def export_job_download_view(request, pk):
    job = _visible_job(request, pk)
    if job.status != ExportJobStatus.DONE or not job.file:
        raise Http404
    return private_file_response(job.file.open("rb"), filename=job.filename or job.file.name.rsplit("/", 1)[-1])


def saved_report_run_start_view(request, pk):
    """*Run now* (the run page's form posts here): a report of more than EXPORT_BACKGROUND_ROWS rows runs in the
    background with a progress page; a smaller one runs at once, as it always has (saved_report_run_view)."""
    if not request.user.has_perm("reports.view_savedreport"):
        raise PermissionDenied
    saved = get_object_or_404(saved_reports_visible(request.user), pk=pk)
    if request.method != "POST":
        return redirect("reports_saved_run", pk=saved.pk)
    try:
        rows = saved_report_rows(saved_report=saved, by=request.user)
    except ReportNotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("reports_saved_run", pk=saved.pk)
    if rows is None or rows <= background_rows():  # None: a report small by nature
        return saved_report_run_view(request, pk)
    job = export_job_start(
        kind="saved_report",
        params={"saved_report": str(saved.pk), "email": "1" if request.POST.get("email") else ""},
        output=saved.output_format,
        by=request.user,
        rows=rows,
        title=saved.name,
    )
    return redirect("reports_export_job", pk=job.pk)


def export_job_urls() -> list:
    """The export jobs' admin URLs (registered by wagtail_hooks)."""
    return [
        path("reports/exports/new/", export_job_start_view, name="reports_export_start"),
        path("reports/saved/<uuid:pk>/run/start/", saved_report_run_start_view, name="reports_saved_run_start"),
        path("reports/exports/<uuid:pk>/", export_job_view, name="reports_export_job"),
        path("reports/exports/<uuid:pk>/download/", export_job_download_view, name="reports_export_download"),
    ]
