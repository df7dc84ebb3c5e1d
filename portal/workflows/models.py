"""Workflow tasks used by the approval objects: a review task (KYC, a loans officer's appraisal) and a committee
task that needs a quorum of distinct members (the credit committee).

An approval object may say who has a conflict of interest by defining `conflicted_user_ids()` (the applicant and
their guarantors for a loan): those users get no actions on any task of it, whatever their groups.
"""

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MinValueValidator
from django.db import models, transaction
from django.utils import timezone
from wagtail.models import AbstractGroupApprovalTask, TaskState

from portal.audit.services import ACTION, VOTE, audit_log

from .summary import approval_summary_of, comment_required_message


class ReasonRequiredForm(forms.Form):
    comment = forms.CharField(
        label="Reason (the member sees it)", widget=forms.Textarea(attrs={"rows": 3}), required=True, max_length=1000
    )


class CommentForm(forms.Form):
    comment = forms.CharField(
        label="Comment (optional)", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=1000
    )


def approval_comment_check(obj, action_name: str, comment: str) -> str:
    """An approval of a record that fails one of its rules must say why (the flags of its summary); returns the
    flags' labels for the audit entry ("" when none fail)."""
    if action_name != "approve":
        return ""
    summary = approval_summary_of(obj)
    if summary.flags and not comment:
        raise ValidationError({"comment": [comment_required_message(summary)]})
    return summary.flag_labels


def _decision_note(step: str, verb: str, despite: str, comment: str) -> str:
    """The audit entry's summary: "Loans officer appraisal: approved despite KYC not verified; Known to us"."""
    return f"{step}: {verb}" + (f" despite {despite}" if despite else "") + (f"; {comment}" if comment else "")


def _lock_in_progress(task_state) -> TaskState:
    """The task state, locked for this transaction: decisions on one task queue, and a late one is refused
    instead of starting the next task twice."""
    locked = TaskState.objects.select_for_update().get(pk=task_state.pk)
    if locked.status != TaskState.STATUS_IN_PROGRESS:
        raise PermissionDenied("This decision is already made.")
    return locked


def user_is_conflicted(obj, user) -> bool:
    """True when the object names this user as someone who must not decide it."""
    conflicted = getattr(obj, "conflicted_user_ids", None)
    return bool(conflicted and user.pk in conflicted())


class ReviewTask(AbstractGroupApprovalTask):
    """A group approval where "request changes" (reject) must say why, because the member is told the reason."""

    def user_can_decide(self, obj, user) -> bool:
        return (user.is_superuser or self._user_in_groups(user)) and not user_is_conflicted(obj, user)

    def get_actions(self, obj, user):
        """Both ask first (modal): approving asks for a comment, required when the record fails a rule."""
        if self.user_can_decide(obj, user):
            return [("reject", "Reject", True), ("approve", "Approve", True)]
        return []

    def get_form_for_action(self, action):
        return ReasonRequiredForm if action == "reject" else CommentForm

    @transaction.atomic
    def on_action(self, task_state, user, action_name, **kwargs):
        comment = (kwargs.get("comment") or "").strip()
        if action_name == "reject" and not comment:
            raise ValidationError({"comment": ["Say why; the member reads the reason."]})
        locked = _lock_in_progress(task_state)
        obj = locked.workflow_state.content_object
        if not self.user_can_decide(obj, user):
            raise PermissionDenied("You cannot decide this one.")
        despite = approval_comment_check(obj, action_name, comment)
        if action_name in ("approve", "reject"):
            verb = "approved" if action_name == "approve" else "rejected"
            audit_log(instance=obj, action=ACTION, by=user, summary=_decision_note(self.name, verb, despite, comment))
        return super().on_action(locked, user, action_name, **kwargs)

    @classmethod
    def get_description(cls):
        return "Members of the chosen groups approve, or reject with a reason the member will see."

    class Meta:
        verbose_name = "review task (reason required to reject)"


class CommitteeQuorumTask(AbstractGroupApprovalTask):
    """A committee decision: each eligible member of the chosen groups votes once; the task is approved when
    `required_approvals` distinct members have approved. One rejection, which must give a reason, rejects it
    (a committee member who objects says why, and the member is told). Members with a conflict of interest
    cannot vote."""

    required_approvals = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1)], help_text="How many distinct members must approve (the quorum)."
    )

    admin_form_fields = AbstractGroupApprovalTask.admin_form_fields + ["required_approvals"]

    def votes_for(self, task_state) -> models.QuerySet:
        return CommitteeVote.objects.filter(task_state_id=task_state.pk).select_related("user")

    def user_can_vote(self, obj, user, task_state) -> bool:
        if not (user.is_superuser or self._user_in_groups(user)) or user_is_conflicted(obj, user):
            return False
        return not CommitteeVote.objects.filter(task_state_id=task_state.pk, user=user).exists()

    def get_actions(self, obj, user):
        task_state = obj.current_workflow_task_state
        if task_state is not None and self.user_can_vote(obj, user, task_state):
            return [("reject", "Reject", True), ("approve", "Approve", True)]
        return []

    def get_form_for_action(self, action):
        return ReasonRequiredForm if action == "reject" else CommentForm

    def on_action(self, task_state, user, action_name, **kwargs):
        """Record the vote under a lock on the task state, so two last votes cannot both (or neither) finish it."""
        comment = (kwargs.get("comment") or "").strip()
        if action_name not in ("approve", "reject"):
            return None
        if action_name == "reject" and not comment:
            raise ValidationError({"comment": ["Say why; the member reads the reason."]})
        with transaction.atomic():
            locked = _lock_in_progress(task_state)
            obj = locked.workflow_state.content_object
            if not self.user_can_vote(obj, user, locked):
                raise PermissionDenied("You cannot vote on this one (already voted, not a member, or conflicted).")
            despite = approval_comment_check(obj, action_name, comment)
            CommitteeVote.objects.create(
                task_state=locked, user=user, approve=action_name == "approve", comment=comment
            )
            approvals_so_far = self.votes_for(locked).filter(approve=True).count()
            audit_log(
                instance=obj,
                action=VOTE,
                by=user,
                summary=_decision_note(
                    self.name,
                    f"approved ({approvals_so_far} of {self.required_approvals})"
                    if action_name == "approve"
                    else "rejected",
                    despite,
                    comment,
                ),
            )
            if action_name == "reject":
                locked.reject(user=user, comment=comment)
                return None
            approvals = self.votes_for(locked).filter(approve=True)
            if approvals.count() >= self.required_approvals:
                names = ", ".join(
                    vote.user.get_full_name() or vote.user.email for vote in approvals.order_by("voted_at")
                )
                locked.approve(user=user, comment=f"Approved by {names}. {comment}".strip())
        return None

    @classmethod
    def get_description(cls):
        return "A quorum of distinct committee members approve; one member may reject with a reason."

    class Meta:
        verbose_name = "committee quorum task"


class CommitteeVote(models.Model):
    """One member's vote on one committee task state: the record of who approved, kept after the decision."""

    task_state = models.ForeignKey(TaskState, on_delete=models.CASCADE, related_name="committee_votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approve = models.BooleanField()
    comment = models.TextField(blank=True)
    voted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["voted_at"]
        constraints = [models.UniqueConstraint(fields=["task_state", "user"], name="one_vote_per_member")]

    def __str__(self):
        return f"{self.user} {'approved' if self.approve else 'rejected'}"
