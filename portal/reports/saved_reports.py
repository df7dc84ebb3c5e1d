"""Saved and scheduled reports (R6): save a report template, run it now, schedule it with django-q2 (cron), keep
every run's file and email it to the recipients.

Who may see a report is the report type's permission (catalogue). It is checked for whoever saves, runs,
downloads or receives one — again at every scheduled run, since people change roles between runs.
"""

import datetime
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule

from portal.audit.changes import field_snapshot
from portal.audit.services import EDIT, audit_log
from portal.society.policy import sacco_settings
from portal.society.replica import reads_from_replica
from portal.society.tabular import CONTENT_TYPES, render

from .catalogue import Period, ReportType, period_dates, report_build, report_type_get
from .models import CRON, Frequency, OutputFormat, Report, ReportStatus, ReportTrigger, SavedReport
from .selectors import report_allowed

logger = logging.getLogger(__name__)

SCHEDULED_FUNC = "portal.reports.saved_reports.saved_report_run_scheduled"


class ReportNotAllowed(PermissionDenied):
    """The user may not see this report type (its permission is missing or the account is inactive)."""


def _require(user, report_type: ReportType) -> None:
    if not report_allowed(user, report_type):
        raise ReportNotAllowed(f"You may not see the “{report_type.label}” report.")


def recipients_validate(*, report_type: ReportType, recipients) -> list:
    """Recipients are people allowed to see the report; a member's address or a stranger's is refused by name."""
    refused = [u.email for u in recipients if not report_allowed(u, report_type)]
    if refused:
        raise ValidationError(
            {"recipients": [f"Not allowed to see “{report_type.label}”: {', '.join(sorted(refused))}."]}
        )
    return list(recipients)


def saved_report_validate(
    *,
    report_type: str,
    period: str,
    start_date: datetime.date | None,
    end_date: datetime.date | None,
    output_format: str,
    frequency: str = "",
    recipients=(),
    user,
) -> ReportType:
    """Everything a template needs to run later; ValidationError names each bad field."""
    kind = report_type_get(report_type)
    _require(user, kind)
    if output_format not in OutputFormat.values:
        raise ValidationError({"output_format": [f"{output_format!r} is not a format; use pdf, xlsx or csv."]})
    if frequency not in Frequency.values:
        raise ValidationError({"frequency": [f"{frequency!r} is not a frequency; use daily, weekly, monthly or none."]})
    if kind.uses_period:
        period_dates(period=period, start=start_date, end=end_date, today=timezone.localdate())
    elif period not in Period.values:
        raise ValidationError({"period": [f"{period!r} is not a period."]})
    recipients_validate(report_type=kind, recipients=recipients)
    return kind


def _template_fields(
    *, by, name, report_type, period, start_date, end_date, output_format, frequency, recipients
) -> dict:
    """The template's own fields once everything is checked (ValidationError names each bad field)."""
    if not (name or "").strip():
        raise ValidationError({"name": ["Give the report a name."]})
    saved_report_validate(
        report_type=report_type,
        period=period,
        start_date=start_date,
        end_date=end_date,
        output_format=output_format,
        frequency=frequency,
        recipients=recipients,
        user=by,
    )
    fixed = period == Period.CUSTOM
    return {
        "name": name.strip(),
        "report_type": report_type,
        "period": period,
        "start_date": start_date if fixed else None,
        "end_date": end_date if fixed else None,
        "output_format": output_format,
    }


def _audit_snapshot(saved: SavedReport) -> dict:
    """The template as the audit trail records it: its own fields and who receives it."""
    snapshot = field_snapshot(saved)
    snapshot["recipients"] = ", ".join(sorted(saved.recipients.values_list("email", flat=True)))
    return snapshot


@transaction.atomic
def saved_report_create(
    *,
    name: str,
    report_type: str,
    by,
    period: str = Period.PREVIOUS_MONTH,
    start_date: datetime.date | None = None,
    end_date: datetime.date | None = None,
    output_format: str = OutputFormat.PDF,
    frequency: str = Frequency.NEVER,
    recipients=(),
) -> SavedReport:
    fields = _template_fields(
        by=by,
        name=name,
        report_type=report_type,
        period=period,
        start_date=start_date,
        end_date=end_date,
        output_format=output_format,
        frequency=frequency,
        recipients=recipients,
    )
    saved = SavedReport.objects.create(owner=by, **fields)
    saved.recipients.set(recipients)
    saved = schedule_sync(saved_report=saved, frequency=frequency)
    audit_log(instance=saved, action=EDIT, by=by, before=None, after=_audit_snapshot(saved))
    return saved


@transaction.atomic
def saved_report_update(
    *,
    saved_report: SavedReport,
    by,
    name: str,
    report_type: str,
    period: str,
    start_date: datetime.date | None,
    end_date: datetime.date | None,
    output_format: str,
    frequency: str,
    recipients,
) -> SavedReport:
    """Change a template; its schedule follows the new frequency; the audit trail gets the before and after."""
    saved = SavedReport.objects.select_for_update(of=("self",)).select_related("schedule").get(pk=saved_report.pk)
    _require(by, report_type_get(saved.report_type))
    before = _audit_snapshot(saved)
    fields = _template_fields(
        by=by,
        name=name,
        report_type=report_type,
        period=period,
        start_date=start_date,
        end_date=end_date,
        output_format=output_format,
        frequency=frequency,
        recipients=recipients,
    )
    for field, value in fields.items():
        setattr(saved, field, value)
    saved.save(update_fields=list(fields))
    saved.recipients.set(recipients)
    saved = schedule_sync(saved_report=saved, frequency=frequency)
    audit_log(instance=saved, action=EDIT, by=by, before=before, after=_audit_snapshot(saved))
    return saved


def schedule_sync(*, saved_report: SavedReport, frequency: str) -> SavedReport:
    """Make the django-q2 cron schedule match `frequency`: create, retime or remove it."""
    if frequency not in Frequency.values:
        raise ValidationError({"frequency": [f"{frequency!r} is not a frequency; use daily, weekly, monthly or none."]})
    schedule = saved_report.schedule
    if not frequency:
        saved_report.schedule = None
        saved_report.frequency = Frequency.NEVER
        saved_report.save(update_fields=["schedule", "frequency"])
        if schedule is not None:
            schedule.delete()
        return saved_report
    if schedule is None:
        schedule = Schedule(func=SCHEDULED_FUNC, args=repr(str(saved_report.pk)), repeats=-1)
    schedule.name = f"Saved report: {saved_report.name}"[:100]
    schedule.schedule_type = Schedule.CRON
    schedule.cron = CRON[frequency]
    schedule.next_run = schedule.calculate_next_run()
    schedule.save()
    saved_report.schedule = schedule
    saved_report.frequency = frequency
    saved_report.save(update_fields=["schedule", "frequency"])
    return saved_report


@transaction.atomic
def saved_report_schedule(*, saved_report: SavedReport, frequency: str, by, recipients=None) -> SavedReport:
    """Schedule (daily, weekly, monthly) or unschedule a saved report, and optionally replace its recipients."""
    saved_report = (
        SavedReport.objects.select_for_update(of=("self",)).select_related("schedule").get(pk=saved_report.pk)
    )
    kind = report_type_get(saved_report.report_type)
    _require(by, kind)
    if recipients is not None:
        saved_report.recipients.set(recipients_validate(report_type=kind, recipients=recipients))
    return schedule_sync(saved_report=saved_report, frequency=frequency)


def saved_report_delete(*, saved_report: SavedReport, by) -> None:
    """Delete a template and its schedule; its runs stay (they were sent to people)."""
    _require(by, report_type_get(saved_report.report_type))
    with transaction.atomic():
        schedule = saved_report.schedule
        saved_report.delete()
        if schedule is not None:
            schedule.delete()


def report_run(
    *,
    report_type: str,
    by,
    period: str = Period.PREVIOUS_MONTH,
    start_date: datetime.date | None = None,
    end_date: datetime.date | None = None,
    output_format: str = OutputFormat.PDF,
    title: str = "",
    saved_report: SavedReport | None = None,
    trigger: str = ReportTrigger.ON_DEMAND,
    recipients=(),
    today: datetime.date | None = None,
) -> Report:
    """Build the report now, store its file as a `Report` and email it to `recipients` allowed to see it.

    Bad parameters raise ValidationError and nothing is stored; a failure while building is stored as a failed
    run with its reason (a schedule has nobody to tell otherwise)."""
    kind = report_type_get(report_type)
    _require(by, kind)
    if output_format not in OutputFormat.values:
        raise ValidationError({"output_format": [f"{output_format!r} is not a format; use pdf, xlsx or csv."]})
    today = today or timezone.localdate()
    start, end = (today, today)
    if kind.uses_period:
        start, end = period_dates(period=period, start=start_date, end=end_date, today=today)
    title = title or kind.label
    run = Report(
        saved_report=saved_report,
        report_type=kind.key,
        title=title,
        period_start=start if kind.uses_period else None,
        period_end=end if kind.uses_period else today,
        output_format=output_format,
        trigger=trigger,
        requested_by=by,
    )
    try:
        # Built from the read replica when there is one (a report may be a moment behind the primary); the run
        # is recorded on the primary below, outside it.
        with reads_from_replica():
            tabular = report_build(report_type=kind, start=start, end=end, today=today, title=title)
            content = render(tabular, output_format)
    except ValidationError:
        raise
    except Exception as exc:  # stored for the people who scheduled it; the traceback goes to the log
        logger.exception("Report %s failed", title)
        run.status, run.error = ReportStatus.FAILED, f"{type(exc).__name__}: {exc}"
        run.covers = ""
        run.save()
        return run
    run.covers = tabular.covers
    run.rows = tabular.row_count
    run.status = ReportStatus.DONE
    run.file.save(f"{kind.key}-{today:%Y%m%d}-{run.pk.hex[:8]}.{output_format}", ContentFile(content), save=False)
    run.save()  # the file is kept even if the mail server is down
    sent: list[str] = []
    try:
        report_email(run=run, content=content, recipients=[u for u in recipients if report_allowed(u, kind)], sent=sent)
    except Exception as exc:  # noqa: BLE001 — recorded on the run; the file is there to download
        logger.exception("Emailing report %s failed", run.pk)
        run.error = f"Email not sent to everyone: {type(exc).__name__}: {exc}"
    run.emailed_to = "\n".join(sent)
    run.save(update_fields=["emailed_to", "error"])
    if saved_report is not None:
        SavedReport.objects.filter(pk=saved_report.pk).update(last_run_at=run.created_at)
    return run


def saved_report_run(
    *, saved_report: SavedReport, by, trigger: str = ReportTrigger.ON_DEMAND, email: bool = False
) -> Report:
    """Run a template now as `by`; with `email` (always for schedules) the recipients get the file."""
    return report_run(
        report_type=saved_report.report_type,
        by=by,
        period=saved_report.period,
        start_date=saved_report.start_date,
        end_date=saved_report.end_date,
        output_format=saved_report.output_format,
        title=saved_report.name,
        saved_report=saved_report,
        trigger=trigger,
        recipients=list(saved_report.recipients.all()) if email else [],
    )


def saved_report_run_scheduled(saved_report_id: str) -> str:
    """The django-q2 task of a schedule: run as the owner and email the recipients; a refusal is recorded."""
    saved = SavedReport.objects.select_related("owner").filter(pk=saved_report_id).first()
    if saved is None:
        return "gone"
    kind = report_type_get(saved.report_type)
    if not report_allowed(saved.owner, kind):
        Report.objects.create(
            saved_report=saved,
            report_type=kind.key,
            title=saved.name,
            output_format=saved.output_format,
            trigger=ReportTrigger.SCHEDULE,
            status=ReportStatus.FAILED,
            requested_by=saved.owner,
            error=f"The owner may no longer see “{kind.label}”; give the report a new owner or delete it.",
        )
        return "refused"
    run = saved_report_run(saved_report=saved, by=saved.owner, trigger=ReportTrigger.SCHEDULE, email=True)
    return f"{run.status}: {run.rows} rows, sent to {len(run.emailed_to.split()) if run.emailed_to else 0}"


def report_email(*, run: Report, content: bytes, recipients, sent: list[str]) -> list[str]:
    """Send the file to each recipient (one message each, so no one sees the others' addresses); `sent` collects
    the addresses as they go, so a failure half-way still says who got it."""
    if not recipients:
        return sent
    sacco = sacco_settings()
    for user in recipients:
        message = EmailMessage(
            subject=f"{sacco.name}: {run.title} ({run.covers})",
            body=(
                f"Dear {user.first_name or user.email},\n\n“{run.title}”, {run.covers}, is attached "
                f"({run.rows} rows).\nYou get it because you are on this report's list; whoever manages saved "
                f"reports can take you off it.\n\n{sacco.name}"
            ),
            to=[user.email],
        )
        message.attach(run.file.name.rsplit("/", 1)[-1], content, CONTENT_TYPES[run.output_format])
        message.send()
        sent.append(user.email)
    return sent
