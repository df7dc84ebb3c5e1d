"""Report records: financial statement snapshots (R1) — the AGM pack, approved in a workflow before members see
it — and database backups (R5)."""

import hashlib
import json
import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.db import models
from django.utils import timezone

from portal.society.storage import private_storage
from portal.workflows.records import ApprovalRecord
from portal.workflows.summary import ApprovalSummary

from .catalogue import REPORT_TYPE_CHOICES, Period


class FinancialStatement(ApprovalRecord):
    """The statements for a period, frozen when prepared: `data` is what `reports.financial.financial_statements`
    returned then, so the approved pack never changes under the committee's signature. Members see it once the
    "Financial statement approval" workflow publishes it (`live`)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=150)
    period_start = models.DateField()
    period_end = models.DateField()
    data = models.JSONField(editable=False)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    prepared_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-period_end", "-prepared_at"]
        permissions = [("prepare_financialstatement", "Can prepare financial statements")]

    def __str__(self):
        return self.title

    def conflicted_user_ids(self) -> set:
        """Maker-checker: whoever prepared the pack does not approve it."""
        return {self.prepared_by_id} if self.prepared_by_id else set()

    def approval_summary(self) -> ApprovalSummary:
        """The pack and the period it covers, for the committee's list and decision page."""
        return ApprovalSummary(
            kind="Financial statements",
            subject=self.title,
            what=f"{self.period_start:%d %b %Y} to {self.period_end:%d %b %Y}",
        )

    @property
    def approval_status(self) -> str:
        if self.live:
            return "Approved"
        state = self.current_workflow_state
        if state is not None:
            return "Rejected" if state.status == state.STATUS_NEEDS_CHANGES else "In approval"
        return "Not approved"


class SasraReturn(ApprovalRecord):
    """The SASRA returns at a month end, frozen when prepared (issue 18): `data` is what
    `reports.sasra.sasra_returns` returned then, so the approved returns never change under the approvers'
    signatures. Approved in the "SASRA returns approval" workflow: two distinct approvers, never the preparer."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=150)
    as_of = models.DateField()
    data = models.JSONField(editable=False)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    prepared_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-as_of", "-prepared_at"]
        verbose_name = "SASRA return"
        permissions = [("prepare_sasrareturn", "Can prepare SASRA returns")]

    def __str__(self):
        return self.title

    def conflicted_user_ids(self) -> set:
        """Maker-checker: whoever prepared the returns does not approve them."""
        return {self.prepared_by_id} if self.prepared_by_id else set()

    def approval_summary(self) -> ApprovalSummary:
        return ApprovalSummary(kind="SASRA returns", subject=self.title, what=f"As of {self.as_of:%d %b %Y}")

    @property
    def approval_status(self) -> str:
        if self.live:
            return "Approved"
        state = self.current_workflow_state
        if state is not None:
            return "Rejected" if state.status == state.STATUS_NEEDS_CHANGES else "In approval"
        return "Not approved"


def _private_storage():
    return private_storage()


class BackupStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the worker"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Backup(models.Model):
    """A copy of the whole database (R5): `pg_dump --format=custom` on PostgreSQL, SQLite's online backup API on
    SQLite, made by a django-q2 job and kept in private storage; administrators alone list and download them, and
    `manage.py backup_restore` puts one back."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    vendor = models.CharField(max_length=20, editable=False)
    status = models.CharField(max_length=10, choices=BackupStatus.choices, default=BackupStatus.PENDING)
    file = models.FileField(upload_to="backups/", storage=_private_storage, max_length=200, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Backup {self.created_at:%Y-%m-%d %H:%M} ({self.get_status_display().lower()})"


class Frequency(models.TextChoices):
    NEVER = "", "Not scheduled"
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


# When scheduled reports run (local time): after the nightly jobs, before the office opens.
CRON = {Frequency.DAILY: "0 6 * * *", Frequency.WEEKLY: "0 6 * * 1", Frequency.MONTHLY: "0 6 1 * *"}


class OutputFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "Excel (XLSX)"
    CSV = "csv", "CSV"


class SavedReport(models.Model):
    """A report template (R6): a report type with its period and file format, run on demand or on a schedule.

    The period is relative ("last month") so a schedule reports the period just ended. A scheduled run acts as the
    owner — it fails, and says why, if the owner may no longer see the report — and emails the file to the
    recipients, who must be staff allowed to see it too."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=150)
    report_type = models.CharField(max_length=40, choices=REPORT_TYPE_CHOICES)
    period = models.CharField(
        max_length=20,
        choices=Period.choices,
        default=Period.PREVIOUS_MONTH,
        help_text="Ignored by reports of the books as they stand (loan portfolio, arrears).",
    )
    start_date = models.DateField(null=True, blank=True, help_text="For fixed dates only.")
    end_date = models.DateField(null=True, blank=True, help_text="For fixed dates only.")
    output_format = models.CharField(max_length=4, choices=OutputFormat.choices, default=OutputFormat.PDF)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, blank=True, default=Frequency.NEVER)
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        help_text="Staff who get each scheduled run by email; each must be allowed to see this report.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="saved_reports", editable=False
    )
    schedule = models.OneToOneField(
        "django_q.Schedule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_run_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def next_run(self):
        return self.schedule.next_run if self.schedule_id else None


class ReportTrigger(models.TextChoices):
    ON_DEMAND = "on_demand", "On demand"
    SCHEDULE = "schedule", "Schedule"


class ReportStatus(models.TextChoices):
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Report(models.Model):
    """One run of a report (R6): what it covered, its file in private storage, who asked and who got it by email.
    Runs are kept as they were produced; a failed run keeps its reason."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    saved_report = models.ForeignKey(SavedReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs")
    report_type = models.CharField(max_length=40, choices=REPORT_TYPE_CHOICES)
    title = models.CharField(max_length=150)
    covers = models.CharField(max_length=100, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    output_format = models.CharField(max_length=4, choices=OutputFormat.choices)
    trigger = models.CharField(max_length=10, choices=ReportTrigger.choices, default=ReportTrigger.ON_DEMAND)
    status = models.CharField(max_length=10, choices=ReportStatus.choices)
    error = models.TextField(blank=True)
    file = models.FileField(upload_to="reports/", storage=_private_storage, max_length=200, blank=True)
    rows = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    emailed_to = models.TextField(blank=True, help_text="The addresses the file was sent to, one per line.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["saved_report", "-created_at"])]
        verbose_name = "report run"

    def __str__(self):
        return f"{self.title} ({self.covers})" if self.covers else self.title


class ExportJobStatus(models.TextChoices):
    QUEUED = "queued", "Waiting for the worker"
    RUNNING = "running", "Building"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"  # its file deleted after EXPORT_KEEP_DAYS (export_jobs_prune); the row stays


def export_fingerprint(*, kind: str, params: dict, output: str) -> str:
    """What makes two export requests the same export: the kind, its parameters (as kept on the job) and the format."""
    text = json.dumps([kind, {str(k): str(v) for k, v in params.items()}, output], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


class ExportJob(models.Model):
    """A large download built in the background (issue 14): the request that asked for it records what to build
    (`kind`, `params`, `output`), a django-q2 task writes the file to private storage while it counts the rows it
    has written, and the job's page shows the progress and then the download link — to the person who asked
    alone, while they may still see that kind of export. After EXPORT_KEEP_DAYS its file is deleted and it is
    `EXPIRED`; the row stays, as the record of who took what."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=40)
    params = models.JSONField(default=dict, blank=True)
    output = models.CharField(max_length=4, choices=OutputFormat.choices)
    # sha256 of (kind, params, output): one export waiting or building per person and fingerprint (the constraint).
    fingerprint = models.CharField(max_length=64, blank=True, default="")
    title = models.CharField(max_length=150)
    status = models.CharField(max_length=10, choices=ExportJobStatus.choices, default=ExportJobStatus.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/", storage=_private_storage, max_length=200, blank=True)
    filename = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["requested_by", "-created_at"])]
        constraints = [
            # Two requests at once for the same export (a double click, two tabs) make one job, whatever the
            # database: a partial unique index, which PostgreSQL and SQLite both enforce. `export_job_start` always
            # sets the fingerprint; a row made without one (by hand, in a test) is not held to it.
            models.UniqueConstraint(
                fields=["requested_by", "fingerprint"],
                condition=models.Q(status__in=["queued", "running"]) & ~models.Q(fingerprint=""),
                name="reports_exportjob_one_in_flight",
            )
        ]

    def __str__(self):
        return f"{self.title} ({self.get_output_display()})"

    @property
    def percent(self) -> int:
        if self.status == ExportJobStatus.DONE:
            return 100
        return min(99, self.rows_done * 100 // self.rows_total) if self.rows_total else 0

    @property
    def keep_days(self) -> int:
        """How long files are kept (for the expired page's wording)."""
        return int(getattr(settings, "EXPORT_KEEP_DAYS", 7))

    @property
    def rebuild_query(self) -> str:
        """The query string that asks for this export again (reports_export_start) once its file has expired. A
        saved report built again is not emailed again: its recipients had it the first time."""
        params = {k: v for k, v in self.params.items() if not (self.kind == "saved_report" and k == "email")}
        return urlencode({"export": self.kind, "format": self.output, **params})
