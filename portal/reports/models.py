"""Report records: financial statement snapshots (R1) — the AGM pack, approved in a workflow before members see
it — and database backups (R5)."""

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.utils import timezone
from wagtail.models import DraftStateMixin, LockableMixin, RevisionMixin, WorkflowMixin


class FinancialStatement(WorkflowMixin, DraftStateMixin, LockableMixin, RevisionMixin, models.Model):
    """The statements for a period, frozen when prepared: `data` is what `reports.financial.financial_statements`
    returned then, so the approved pack never changes under the committee's signature. Members see it once the
    "Financial statement approval" workflow publishes it (`live`)."""

    decided_in_workflow = True  # the admin page offers only the workflow's decisions (portal/workflows)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=150)
    period_start = models.DateField()
    period_end = models.DateField()
    data = models.JSONField(editable=False)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    prepared_at = models.DateTimeField(default=timezone.now, editable=False)

    _revisions = GenericRelation("wagtailcore.Revision", related_query_name="financialstatement")
    workflow_states = GenericRelation(
        "wagtailcore.WorkflowState",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="financialstatement",
        for_concrete_model=False,
    )

    class Meta:
        ordering = ["-period_end", "-prepared_at"]
        permissions = [("prepare_financialstatement", "Can prepare financial statements")]

    def __str__(self):
        return self.title

    @property
    def revisions(self):
        return self._revisions

    def conflicted_user_ids(self) -> set:
        """Maker-checker: whoever prepared the pack does not approve it."""
        return {self.prepared_by_id} if self.prepared_by_id else set()

    @property
    def approval_status(self) -> str:
        if self.live:
            return "Approved"
        state = self.current_workflow_state
        if state is not None:
            return "Rejected" if state.status == state.STATUS_NEEDS_CHANGES else "In approval"
        return "Not approved"


def _private_storage():
    from portal.members.storage import private_storage

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
