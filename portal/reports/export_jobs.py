"""Large downloads in the background (issue 14), as mass email sends in batches: above
`settings.EXPORT_BACKGROUND_ROWS` rows a download becomes an `ExportJob`, django-q2 builds its file into private
storage, and the job's page shows the rows written so far, then the link.

An export *kind* says who may have it (a permission), which parameters it takes from the request (only those are
kept on the job) and how it builds its tables. The worker builds the same tables the immediate download builds and
renders them with the same renderers, so a file is the same whichever way it was made; while it renders, each row
written is counted and the count is saved every few rows (`ProgressRows`).

Files are not kept for ever: `export_jobs_prune` (daily, by django-q2; `manage.py prune_exports` by hand) deletes
them `settings.EXPORT_KEEP_DAYS` after they were built and marks the job expired; its page then offers to build it
again (`ExportJob.rebuild_query`).
"""

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import slugify
from django_q.tasks import async_task

# The savings lists' files are written by their admin pages' own functions, so a file is the same either way.
from portal.contributions.admin_views import incomplete_export, missing_export
from portal.contributions.periods import InvalidPeriod, format_period, parse_period
from portal.contributions.reports import report_periods, report_sections
from portal.contributions.selectors import contribution_report
from portal.society.tabular import Section, TabularReport, render

from .catalogue import period_dates, report_build, report_type_get
from .exports import RENDERERS as STATEMENT_RENDERERS
from .exports import statement_rows
from .financial import financial_statements
from .models import ExportJob, ExportJobStatus, ReportStatus, SavedReport
from .saved_reports import ReportNotAllowed, saved_report_run
from .selectors import report_allowed, saved_reports_visible

logger = logging.getLogger(__name__)

BUILD_TASK = "portal.reports.export_jobs.export_job_build"
DEFAULT_BACKGROUND_ROWS = 2000
DEFAULT_KEEP_DAYS = 7
# A second request for the same export while the first is still building gets the first (a double click, a refresh).
REUSE_WITHIN = datetime.timedelta(minutes=10)


def background_rows() -> int:
    """Downloads with more rows than this are built in the background."""
    return int(getattr(settings, "EXPORT_BACKGROUND_ROWS", DEFAULT_BACKGROUND_ROWS))


def keep_days_setting() -> int:
    """Export files are deleted this many days after they were built."""
    return int(getattr(settings, "EXPORT_KEEP_DAYS", DEFAULT_KEEP_DAYS))


@dataclass
class Built:
    """What a kind prepares from its parameters: the title, the file's name without extension, the rows it will
    write (0 when only writing tells; `write` then sets it) and a `write(output, progress)` that returns the
    file's bytes."""

    title: str
    filename: str
    rows: int
    write: Callable[[str, Callable[[int], None]], bytes] | None = None


class ProgressRows(list):
    """A section's rows that report each row the renderer reads (CSV and XLSX read them one by one)."""

    def __init__(self, rows, on_row: Callable[[], None]):
        super().__init__(rows)
        self._on_row = on_row

    def __iter__(self):
        for row in super().__iter__():
            yield row
            self._on_row()


def tabular_built(*, report: TabularReport, filename: str) -> Built:
    """A `TabularReport` as an export: the shared renderer writes it, counting rows as it goes."""

    def write(output: str, progress: Callable[[int], None]) -> bytes:
        done = 0

        def on_row():
            nonlocal done
            done += 1
            progress(done)

        sections = [Section(s.heading, s.columns, ProgressRows(s.rows, on_row), s.totals) for s in report.sections]
        return render(TabularReport(report.title, report.covers, sections, report.generated_at), output)

    return Built(title=report.title, filename=filename, rows=report.row_count, write=write)


def contributions_build(params: dict, by) -> Built:
    """The contribution report (C7), as contributions.reports.report_response writes it."""
    periods, title = report_periods(
        kind=params.get("kind") or "monthly",
        period=params.get("period"),
        year=params.get("year"),
        quarter=params.get("quarter"),
    )
    report = contribution_report(periods=periods, title=title)
    first, last = report.periods[0], report.periods[-1]
    covers = f"{first:%B %Y}" if first == last else f"{first:%B %Y} to {last:%B %Y}"
    span = format_period(first) if first == last else f"{format_period(first)}_to_{format_period(last)}"
    tabular = TabularReport(report.title, covers, report_sections(report), timezone.now())
    return tabular_built(report=tabular, filename=f"contributions-{span}")


def missing_contributions_build(params: dict, by) -> Built:
    """Who paid less than due for a month (C2), as its list page downloads it."""
    try:
        period = parse_period(params.get("period") or "")
    except InvalidPeriod as exc:
        raise ValidationError({"period": [str(exc)]}) from exc
    report, filename = missing_export(period=period)
    return tabular_built(report=report, filename=filename)


def incomplete_share_capital_build(params: dict, by) -> Built:
    """Members below the share capital target (C1), as its list page downloads it."""
    report, filename = incomplete_export()
    return tabular_built(report=report, filename=filename)


def financial_statements_build(params: dict, by) -> Built:
    """The statements for a period, as reports.exports.statements_response writes them (a few rows per account)."""
    try:
        start = datetime.date.fromisoformat(params.get("start") or "")
        end = datetime.date.fromisoformat(params.get("end") or "")
    except ValueError:
        raise ValidationError({"start": ["Give the period as two dates (YYYY-MM-DD)."]}) from None
    data = financial_statements(start=start, end=end)
    rows = sum(1 for _ in statement_rows(data))

    def write(output: str, progress: Callable[[int], None]) -> bytes:
        content = STATEMENT_RENDERERS[output](data, "Financial statements")
        progress(rows)
        return content

    name = f"financial-statements-{data['period_start']}-to-{data['period_end']}"
    return Built(title="Financial statements", filename=name, rows=rows, write=write)


def saved_report_rows(*, saved_report: SavedReport, by, today: datetime.date | None = None) -> int:
    """How many rows running `saved_report` now would write (its tables built, not rendered): the run-now page
    asks, to choose between running at once and in the background."""
    kind = report_type_get(saved_report.report_type)
    if not report_allowed(by, kind):
        raise ReportNotAllowed(f"You may not see the “{kind.label}” report.")
    today = today or timezone.localdate()
    start, end = today, today
    if kind.uses_period:
        start, end = period_dates(
            period=saved_report.period, start=saved_report.start_date, end=saved_report.end_date, today=today
        )
    return report_build(report_type=kind, start=start, end=end, today=today, title=saved_report.name).row_count


def saved_report_build(params: dict, by) -> Built:
    """A saved report's *Run now*, in the background: the run is recorded (and emailed, if asked) by
    `saved_report_run` as when it runs at once; the job keeps a copy of its file for its download link."""
    saved = saved_reports_visible(by).filter(pk=params.get("saved_report")).first()
    if saved is None:
        raise ValidationError({"saved_report": ["That saved report is gone, or not one you may run."]})

    built = Built(title=saved.name, filename=f"{slugify(saved.name) or 'report'}-{timezone.localdate():%Y%m%d}", rows=0)

    def write(output: str, progress: Callable[[int], None]) -> bytes:
        run = saved_report_run(saved_report=saved, by=by, email=params.get("email") == "1")
        if run.status != ReportStatus.DONE:
            raise RuntimeError(run.error)
        with run.file.open("rb") as file:
            content = file.read()
        built.rows = run.rows
        progress(run.rows)
        return content

    built.write = write
    return built


@dataclass(frozen=True)
class ExportKind:
    key: str
    permission: str
    params: tuple[str, ...]
    outputs: tuple[str, ...]
    build: Callable[[dict, object], Built]  # (params, the user it is built for)


EXPORT_KINDS = {
    kind.key: kind
    for kind in (
        ExportKind(
            "contributions",
            "contributions.view_monthlycontribution",
            ("kind", "period", "year", "quarter"),
            ("csv", "xlsx", "pdf"),
            contributions_build,
        ),
        ExportKind(
            "saved_report",
            "reports.view_savedreport",
            ("saved_report", "email"),
            ("csv", "xlsx", "pdf"),
            saved_report_build,
        ),
        ExportKind(
            "missing_contributions",
            "contributions.view_monthlycontribution",
            ("period",),
            ("csv", "xlsx"),
            missing_contributions_build,
        ),
        ExportKind(
            "incomplete_share_capital",
            "contributions.view_monthlycontribution",
            (),
            ("csv", "xlsx"),
            incomplete_share_capital_build,
        ),
        ExportKind(
            "financial_statements",
            "finance.view_journalentry",
            ("start", "end"),
            ("csv", "xlsx", "pdf"),
            financial_statements_build,
        ),
    )
}


def export_kind_get(key: str) -> ExportKind:
    kind = EXPORT_KINDS.get(key)
    if kind is None:
        raise ValidationError({"export": [f"{key!r} is not an export."]})
    return kind


def export_job_visible(*, job: ExportJob, user) -> bool:
    """The person who asked, while they still hold the export's permission. (Every staff role reads savings, so
    "staff with the same permission" would be everyone: a colleague asks for their own copy.)"""
    kind = EXPORT_KINDS.get(job.kind)
    if kind is None or not user.is_active or not user.has_perm(kind.permission):
        return False
    return job.requested_by_id == user.pk


def export_job_start(*, kind: str, params: dict, output: str, by, rows: int = 0, title: str = "") -> ExportJob:
    """Record an export and queue its build; the same export asked again while it is still waiting or building
    is the same job (a double click or a refresh builds one file)."""
    export = export_kind_get(kind)
    if output not in export.outputs:
        raise ValidationError({"format": [f"{output!r} is not a format; use {', '.join(export.outputs)}."]})
    params = {name: str(params[name]) for name in export.params if params.get(name) not in (None, "")}
    with transaction.atomic():
        existing = (
            ExportJob.objects.select_for_update()
            .filter(
                kind=kind,
                params=params,
                output=output,
                requested_by=by,
                status__in=[ExportJobStatus.QUEUED, ExportJobStatus.RUNNING],
                created_at__gte=timezone.now() - REUSE_WITHIN,
            )
            .first()
        )
        if existing is not None:
            return existing
        if not title or not rows:
            built = export.build(params, by)  # ValidationError names a bad parameter before anything is queued
            title, rows = title or built.title, rows or built.rows
        job = ExportJob.objects.create(
            kind=kind, params=params, output=output, title=title[:150], rows_total=rows, requested_by=by
        )
        transaction.on_commit(lambda: async_task(BUILD_TASK, str(job.pk)))
    return job


def _progress_saver(job_id, total: int) -> Callable[[int], None]:
    """Save the count about fifty times over the file (not once a row)."""
    step = max(50, total // 50)

    def progress(done: int) -> None:
        if done % step == 0 or done == total:
            ExportJob.objects.filter(pk=job_id).update(rows_done=min(done, total))

    return progress


def export_job_build(job_id: str) -> str:
    """The django-q2 task: build the file as the one who asked (their permission is checked again), keep it in
    private storage, and record the outcome; a failure keeps its reason for the job's page."""
    job = ExportJob.objects.select_related("requested_by").filter(pk=job_id).first()
    if job is None:
        return "gone"
    if job.status in (ExportJobStatus.DONE, ExportJobStatus.FAILED, ExportJobStatus.EXPIRED):
        return job.status
    kind = EXPORT_KINDS.get(job.kind)
    user = job.requested_by
    if kind is None or user is None or not user.is_active or not user.has_perm(kind.permission):
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJobStatus.FAILED,
            error="The person who asked may no longer see this export.",
            finished_at=timezone.now(),
        )
        return "refused"
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJobStatus.RUNNING)
    try:
        built = kind.build(job.params, user)
        total = built.rows or job.rows_total
        ExportJob.objects.filter(pk=job.pk).update(rows_total=total, title=built.title[:150])
        content = built.write(job.output, _progress_saver(job.pk, total))
    except Exception as exc:  # kept on the job for its page; the traceback goes to the log
        logger.exception("Export %s failed", job.pk)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJobStatus.FAILED, error=f"{type(exc).__name__}: {exc}", finished_at=timezone.now()
        )
        return "failed"
    rows = built.rows or total
    job.refresh_from_db()
    job.filename = f"{built.filename}.{job.output}"
    job.file.save(f"{job.kind}-{job.pk.hex[:8]}.{job.output}", ContentFile(content), save=False)
    job.rows_done = job.rows_total = rows
    job.status = ExportJobStatus.DONE
    job.finished_at = timezone.now()
    job.save(update_fields=["filename", "file", "rows_done", "rows_total", "status", "finished_at"])
    return f"done: {rows} rows"


def export_jobs_prune(*, now: datetime.datetime | None = None, keep_days: int | None = None) -> int:
    """Delete the files of exports finished (or failed) more than `keep_days` (default EXPORT_KEEP_DAYS) ago and
    mark their jobs expired, keeping each row as the record of who took what; returns how many it expired.

    The daily django-q2 schedule calls it. A job still queued or building is never touched, and an expired job is
    not looked at again, so running it twice changes nothing."""
    now = now or timezone.now()
    days = keep_days_setting() if keep_days is None else keep_days
    cutoff = now - datetime.timedelta(days=days)
    old = (
        ExportJob.objects.filter(status__in=[ExportJobStatus.DONE, ExportJobStatus.FAILED])
        .annotate(ended=Coalesce(F("finished_at"), F("created_at")))
        .filter(ended__lt=cutoff)
    )
    expired = 0
    for job in old.iterator():
        if job.file:
            try:
                job.file.delete(save=False)
            except OSError:  # kept for the next run; the others go on
                logger.exception("Could not delete export file %s", job.file.name)
                continue
        # Only if it is still finished: a job's state is the worker's, never changed under it.
        expired += ExportJob.objects.filter(pk=job.pk, status=job.status).update(
            status=ExportJobStatus.EXPIRED, file=""
        )
    if expired:
        logger.info("Expired %d export file(s) older than %d days", expired, days)
    return expired
