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
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import slugify
from django_q.tasks import async_task

# The savings lists' files are written by their admin pages' own functions, so a file is the same either way.
from portal.contributions.admin_views import incomplete_export, missing_export
from portal.contributions.periods import InvalidPeriod, add_months, format_period, parse_period, period_end, period_of
from portal.contributions.reports import report_periods, report_sections
from portal.contributions.selectors import contribution_report, incomplete_share_capital, missing_contributions
from portal.dividends.models import MemberDividend
from portal.finance.banking.models import BankAccount, BankTransaction
from portal.finance.ledger.models import JournalLine
from portal.loans.models import LoanInstalment, LoanStatus
from portal.members.models import Member, MemberStatus
from portal.society.replica import reads_from_replica
from portal.society.tabular import Section, TabularReport, render

from .catalogue import MAX_CONTRIBUTION_MONTHS, period_dates, report_type_get
from .exports import RENDERERS as STATEMENT_RENDERERS
from .exports import statement_rows
from .financial import financial_statements
from .models import ExportJob, ExportJobStatus, ReportStatus, SavedReport, export_fingerprint
from .saved_reports import ReportNotAllowed, saved_report_run
from .selectors import report_allowed, saved_reports_visible

logger = logging.getLogger(__name__)

BUILD_TASK = "portal.reports.export_jobs.export_job_build"
DEFAULT_BACKGROUND_ROWS = 2000
DEFAULT_KEEP_DAYS = 7
# A second request for the same export while the first is still waiting or building gets the first (a double click,
# two tabs); a job in flight longer than this is taken as lost (a worker that died) and a new request replaces it.
IN_FLIGHT_FOR = datetime.timedelta(hours=1)
# The contribution report's summary table: three rows above the members' table.
CONTRIBUTION_SUMMARY_ROWS = 3


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


# Row counts, by COUNT queries over the same filters the builders read: deciding "at once or in the background" and
# showing the progress page's total must not build the report (the worker builds it, once).


def _contribution_rows(periods: list[datetime.date]) -> int:
    """`contribution_report`'s rows (members who had joined by the last month and have not left) and its summary."""
    members = Member.objects.filter(join_date__lte=period_end(periods[-1])).exclude(status=MemberStatus.EXITED)
    return CONTRIBUTION_SUMMARY_ROWS + members.count()


def _months(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    periods = [period_of(start)]
    while add_months(periods[-1], 1) <= end:
        periods.append(add_months(periods[-1], 1))
    if len(periods) > MAX_CONTRIBUTION_MONTHS:  # as catalogue.contributions_sections refuses it
        raise ValidationError(
            {"period": [f"Contributions reports cover {MAX_CONTRIBUTION_MONTHS} months at most, not {len(periods)}."]}
        )
    return periods


def _unreconciled_rows(start: datetime.date, end: datetime.date) -> int:
    statement = BankTransaction.objects.filter(matched_line=None, date__range=(start, end)).count()
    ledger_accounts = BankAccount.objects.values("ledger_account_id")
    books = JournalLine.objects.filter(
        account_id__in=ledger_accounts, bank_match__isnull=True, date__range=(start, end)
    ).count()
    return statement + books


# Each catalogue report's rows, counted (start, end, today). Not listed: a few rows per account or class (financial
# statements, the loan portfolio): always small, so they run at once.
REPORT_TYPE_ROWS: dict[str, Callable[[datetime.date, datetime.date, datetime.date], int]] = {
    "member_balances": lambda start, end, today: Member.objects.filter(join_date__lte=end).count(),
    "contributions": lambda start, end, today: _contribution_rows(_months(start, end)),
    "loans_in_arrears": lambda start, end, today: (
        LoanInstalment.objects.filter(loan__status=LoanStatus.ACTIVE, loan__days_past_due__gt=0)
        .values("loan_id")
        .distinct()
        .count()
    ),
    "dividends": lambda start, end, today: MemberDividend.objects.filter(
        declaration__financial_year__range=(start.year, end.year)
    ).count(),
    "unreconciled": lambda start, end, today: _unreconciled_rows(start, end),
}


def saved_report_rows(*, saved_report: SavedReport, by, today: datetime.date | None = None) -> int | None:
    """How many rows running `saved_report` now would write, by COUNT queries (nothing is built); None for the
    reports that are small by nature. The run-now page asks, to choose between at once and the background."""
    kind = report_type_get(saved_report.report_type)
    if not report_allowed(by, kind):
        raise ReportNotAllowed(f"You may not see the “{kind.label}” report.")
    count = REPORT_TYPE_ROWS.get(kind.key)
    if count is None:
        return None
    today = today or timezone.localdate()
    start, end = today, today
    if kind.uses_period:
        start, end = period_dates(
            period=saved_report.period, start=saved_report.start_date, end=saved_report.end_date, today=today
        )
    return count(start, end, today)


def saved_report_build(params: dict, by) -> Built:
    """A saved report's *Run now*, in the background: the run is recorded (and emailed, if asked) by
    `saved_report_run` as when it runs at once; the job keeps a copy of its file for its download link."""
    saved = saved_reports_visible(by).filter(pk=_uuid_or_none(params.get("saved_report"))).first()
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


# What the confirmation page and the job record before the worker starts: (title, rows or None if only building
# tells). Each checks the parameters as its builder will (a ValidationError names the bad one) and builds nothing.


def contributions_describe(params: dict, by) -> tuple[str, int | None]:
    periods, title = report_periods(
        kind=params.get("kind") or "monthly",
        period=params.get("period"),
        year=params.get("year"),
        quarter=params.get("quarter"),
    )
    return title, _contribution_rows(periods)


def missing_contributions_describe(params: dict, by) -> tuple[str, int | None]:
    try:
        period = parse_period(params.get("period") or "")
    except InvalidPeriod as exc:
        raise ValidationError({"period": [str(exc)]}) from exc
    return f"Missing contributions, {format_period(period)}", missing_contributions(period=period).count()


def incomplete_share_capital_describe(params: dict, by) -> tuple[str, int | None]:
    return "Incomplete share capital", incomplete_share_capital().count()


def financial_statements_describe(params: dict, by) -> tuple[str, int | None]:
    try:
        start = datetime.date.fromisoformat(params.get("start") or "")
        end = datetime.date.fromisoformat(params.get("end") or "")
    except ValueError:
        raise ValidationError({"start": ["Give the period as two dates (YYYY-MM-DD)."]}) from None
    return f"Financial statements, {start:%d %b %Y} to {end:%d %b %Y}", None  # a few rows per account


def saved_report_describe(params: dict, by) -> tuple[str, int | None]:
    saved = saved_reports_visible(by).filter(pk=_uuid_or_none(params.get("saved_report"))).first()
    if saved is None:
        raise ValidationError({"saved_report": ["That saved report is gone, or not one you may run."]})
    try:
        return saved.name, saved_report_rows(saved_report=saved, by=by)
    except ReportNotAllowed as exc:
        raise ValidationError({"saved_report": [str(exc)]}) from exc


def _uuid_or_none(text):
    try:
        return uuid.UUID(str(text))
    except ValueError:
        return None


@dataclass(frozen=True)
class ExportKind:
    key: str
    permission: str
    params: tuple[str, ...]
    outputs: tuple[str, ...]
    build: Callable[[dict, object], Built]  # (params, the user it is built for): the worker's, and only its
    describe: Callable[[dict, object], tuple[str, int | None]]  # (title, rows): cheap, before anything is built
    # The worker builds and writes it from the read replica, if there is one (issue 17). Not a saved report: it
    # looks up a template that may have been saved a moment ago, and its run opts in itself (report_run).
    on_replica: bool = True


EXPORT_KINDS = {
    kind.key: kind
    for kind in (
        ExportKind(
            "contributions",
            "contributions.view_monthlycontribution",
            ("kind", "period", "year", "quarter"),
            ("csv", "xlsx", "pdf"),
            contributions_build,
            contributions_describe,
        ),
        ExportKind(
            "saved_report",
            "reports.view_savedreport",
            ("saved_report", "email"),
            ("csv", "xlsx", "pdf"),
            saved_report_build,
            saved_report_describe,
            on_replica=False,
        ),
        ExportKind(
            "missing_contributions",
            "contributions.view_monthlycontribution",
            ("period",),
            ("csv", "xlsx"),
            missing_contributions_build,
            missing_contributions_describe,
        ),
        ExportKind(
            "incomplete_share_capital",
            "contributions.view_monthlycontribution",
            (),
            ("csv", "xlsx"),
            incomplete_share_capital_build,
            incomplete_share_capital_describe,
        ),
        ExportKind(
            "financial_statements",
            "finance.view_journalentry",
            ("start", "end"),
            ("csv", "xlsx", "pdf"),
            financial_statements_build,
            financial_statements_describe,
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


@dataclass
class ExportRequest:
    """An export asked for, checked and described, not yet started: what the confirmation page shows and posts."""

    kind: ExportKind
    params: dict
    output: str
    title: str
    rows: int | None
    fingerprint: str


def export_request_check(*, kind: str, params: dict, output: str, by) -> ExportRequest:
    """Check an export request (kind, format, the kind's parameters: only those are kept) and describe it by a cheap
    count; builds nothing and changes nothing. A ValidationError names what is wrong."""
    export = export_kind_get(kind)
    if output not in export.outputs:
        raise ValidationError({"format": [f"{output!r} is not a format; use {', '.join(export.outputs)}."]})
    params = {name: str(params[name]) for name in export.params if params.get(name) not in (None, "")}
    title, rows = export.describe(params, by)
    fingerprint = export_fingerprint(kind=kind, params=params, output=output)
    return ExportRequest(export, params, output, title, rows, fingerprint)


def export_job_in_flight(*, by, fingerprint: str) -> ExportJob | None:
    """This person's job for this export that is still waiting or building (and not presumed lost), if any."""
    return (
        ExportJob.objects.filter(
            requested_by=by,
            fingerprint=fingerprint,
            status__in=[ExportJobStatus.QUEUED, ExportJobStatus.RUNNING],
            created_at__gte=timezone.now() - IN_FLIGHT_FOR,
        )
        .order_by("-created_at")
        .first()
    )


def export_job_start(
    *, kind: str, params: dict, output: str, by, rows: int | None = None, title: str = ""
) -> ExportJob:
    """Record an export and queue its build (the worker alone builds it); the same export asked again by the same
    person while it is still waiting or building is that job — at once too (two requests in the same instant make
    one job: the database's partial unique constraint on (requested_by, fingerprint) while in flight decides)."""
    request = export_request_check(kind=kind, params=params, output=output, by=by)
    title = (title or request.title)[:150]
    rows = request.rows if rows is None else rows
    with transaction.atomic():
        existing = export_job_in_flight(by=by, fingerprint=request.fingerprint)
        if existing is not None:
            return existing
        # In flight for longer than IN_FLIGHT_FOR: taken as lost, so that it no longer holds the place.
        # (Only those that old: one committed a moment ago by a simultaneous request is the one to join.)
        ExportJob.objects.filter(
            requested_by=by,
            fingerprint=request.fingerprint,
            status__in=[ExportJobStatus.QUEUED, ExportJobStatus.RUNNING],
            created_at__lt=timezone.now() - IN_FLIGHT_FOR,
        ).update(
            status=ExportJobStatus.FAILED,
            error="It did not finish within an hour; a new export was asked for.",
            finished_at=timezone.now(),
        )
        try:
            with transaction.atomic():
                job = ExportJob.objects.create(
                    kind=kind,
                    params=request.params,
                    output=output,
                    fingerprint=request.fingerprint,
                    title=title,
                    rows_total=rows or 0,
                    requested_by=by,
                )
        except IntegrityError:  # the same request, committed a moment before ours
            existing = export_job_in_flight(by=by, fingerprint=request.fingerprint)
            if existing is None:
                raise
            return existing
        transaction.on_commit(lambda: async_task(BUILD_TASK, str(job.pk)))
    return job


def _progress_saver(job_id, total: int) -> Callable[[int], None]:
    """Save the count about fifty times over the file (not once a row)."""
    step = max(50, total // 50)

    def progress(done: int) -> None:
        if done % step == 0 or done == total:
            # Named, not routed: a write the router saw would send the rest of the build's reads to the primary.
            ExportJob.objects.using(DEFAULT_DB_ALIAS).filter(pk=job_id).update(rows_done=min(done, total))

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
    # The job's own row is read and written on the primary; the report's rows are read from the replica if there
    # is one (the progress counts are writes: they go to the primary inside it too).
    on_replica = reads_from_replica if kind.on_replica else nullcontext
    try:
        with on_replica():
            built = kind.build(job.params, user)
        total = built.rows or job.rows_total
        ExportJob.objects.filter(pk=job.pk).update(rows_total=total, title=built.title[:150])
        with on_replica():
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
