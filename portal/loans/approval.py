"""The "Loan approval" workflow (L4) from the loans side: when an application enters it, how anyone (the admin's
workflow buttons, the seed's approve/reject endpoints, the demo) acts on it, and what its end does.

The workflow itself is Wagtail's: a `ReviewTask` for the loans officer's appraisal, then a `CommitteeQuorumTask`
for the credit committee (portal/workflows/models.py). Its handlers call `review_finished`, which calls the
application services, so the decision is written once, under the application's row lock.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum
from wagtail.models import WorkflowState

from portal.workflows.models import CommitteeVote
from portal.workflows.services import decision_validate, workflow_act

from .models import ApplicationStatus, GuaranteeStatus, LoanApplication, LoanReview
from .services import LoanStateError, application_approve, application_reject


def application_ready_for_review(application: LoanApplication) -> bool:
    """Every guarantor has answered and the accepted guarantees cover what the applicant's deposits do not."""
    guarantees = application.guarantees.all()
    if guarantees.filter(status=GuaranteeStatus.REQUESTED).exists():
        return False
    accepted = guarantees.filter(status=GuaranteeStatus.ACCEPTED).aggregate(total=Sum("amount"))["total"] or 0
    return accepted >= application.cover_needed


def loan_review_start(*, application: LoanApplication, by=None) -> LoanReview | None:
    """Put a ready application into the approval workflow, once; returns None while it is not ready."""
    if application.status != ApplicationStatus.SUBMITTED or not application_ready_for_review(application):
        return None
    existing = LoanReview.objects.filter(application=application).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        review = LoanReview.objects.create(application=application, live=False)
        review.save_revision(user=by, log_action=True)
        workflow = review.get_workflow()
        if workflow is None:
            raise LoanStateError("No approval workflow is set up for loan applications (Settings → Workflows).")
        workflow.start(review, by)
    return review


@dataclass
class ReviewProgress:
    """Where an application stands in the workflow, for the API and the admin."""

    status: str  # the application's status
    step: str  # the task waiting, or "" when none
    approvals: int
    required: int
    voters: list[str]

    def as_dict(self) -> dict:
        return {
            "status": self.status,
            "step": self.step,
            "approvals": self.approvals,
            "required": self.required,
            "voters": self.voters,
        }


def review_progress(application: LoanApplication) -> ReviewProgress:
    review = LoanReview.objects.filter(application=application).first()
    task_state = review.current_workflow_task_state if review is not None else None
    if task_state is None:
        return ReviewProgress(application.status, "", 0, 0, [])
    task = task_state.task.specific
    votes = CommitteeVote.objects.filter(task_state=task_state, approve=True).select_related("user")
    return ReviewProgress(
        status=application.status,
        step=task.name,
        approvals=votes.count(),
        required=getattr(task, "required_approvals", 1),
        voters=[vote.user.get_full_name() or vote.user.email for vote in votes],
    )


def loan_review_act(*, application: LoanApplication, user, action: str, reason: str = "") -> ReviewProgress:
    """Approve or reject at the workflow's current step as `user` (the seed's approve/reject endpoints): the
    same checks as the admin's buttons — the step's groups, no conflict of interest, one vote each."""
    reason_message = "Say why the application is rejected; the member reads it."
    decision_validate(action=action, reason=reason, reason_message=reason_message)
    if application.status != ApplicationStatus.SUBMITTED:
        raise LoanStateError(f"This application is already {application.get_status_display().lower()}.")
    not_in_review = LoanStateError("This application is not in review yet: its guarantors have not all accepted.")
    review = LoanReview.objects.filter(application=application).first()
    if review is None:
        raise not_in_review
    workflow_act(
        obj=review,
        user=user,
        action=action,
        reason=reason,
        reason_message=reason_message,
        not_waiting=not_in_review,
        refused="You cannot {action} at the “{step}” step (or you have already voted).",
    )
    application.refresh_from_db()
    return review_progress(application)


def loan_review_cancel(*, application: LoanApplication, by) -> None:
    """The application was withdrawn: its workflow stops (called under the application's lock)."""
    review = LoanReview.objects.filter(application=application).first()
    state = review.current_workflow_state if review is not None else None
    if state is not None and state.status in (WorkflowState.STATUS_IN_PROGRESS, WorkflowState.STATUS_NEEDS_CHANGES):
        state.cancel(user=by)


def review_finished(*, review: LoanReview, approved: bool, user=None, reason: str = "") -> None:
    """The workflow ended: write the decision on the application (idempotent if the signal fires twice)."""
    application = review.application
    if application.status != ApplicationStatus.SUBMITTED:
        return
    if approved:
        application_approve(application=application, by=user, reason=reason)
    else:
        application_reject(application=application, by=user, reason=reason or "No reason given")
