"""The base of every record decided in a Wagtail approval workflow (a KYC document, a loan's review, a statement
pack, a dividend declaration): revisions and workflow states as Wagtail needs them for a snippet, and the hooks
the workflow tasks and admin views read (who is conflicted; the approval's summary and flags). Abstract: it adds
no table and no migration."""

from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from wagtail.models import DraftStateMixin, LockableMixin, RevisionMixin, WorkflowMixin

from .summary import ApprovalSummary


class ApprovalRecord(WorkflowMixin, DraftStateMixin, LockableMixin, RevisionMixin, models.Model):
    decided_in_workflow = True  # the admin page offers only the workflow's decisions (portal/workflows)

    _revisions = GenericRelation("wagtailcore.Revision", related_query_name="%(class)s")
    workflow_states = GenericRelation(
        "wagtailcore.WorkflowState",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="%(class)s",
        for_concrete_model=False,
    )

    class Meta:
        abstract = True

    @property
    def revisions(self):
        return self._revisions

    def conflicted_user_ids(self) -> set:
        """People who may not act on this record at any step (the applicant, the preparer…)."""
        return set()

    def approval_summary(self) -> ApprovalSummary:
        """What a reviewer reads before deciding (portal/workflows/summary.py): each kind of record says whose it
        is, what it asks, how much and which of its rules it fails. This default names the record by its str."""
        return ApprovalSummary(kind=self._meta.verbose_name.capitalize(), subject=str(self), what="")
