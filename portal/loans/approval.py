"""The "Loan approval" workflow (L4) from the loans side: when an application enters it, how anyone (the admin's
workflow buttons, the seed's approve/reject endpoints, the demo) acts on it, and what its end does.

The workflow itself is Wagtail's: a `ReviewTask` for the loans officer's appraisal, then a `CommitteeQuorumTask`
for the credit committee (portal/workflows/models.py). Its handlers call `review_finished`, which calls the
application services, so the decision is written once, under the application's row lock.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from wagtail.models import WorkflowState

from portal.society.money import format_money, to_cents
from portal.workflows.models import CommitteeVote
from portal.workflows.services import decision_validate, workflow_act, workflow_submit
from portal.workflows.summary import ApprovalFlag, ApprovalSummary

from .eligibility import Eligibility, application_eligibility
from .models import ApplicationStatus, GuaranteeStatus, LoanApplication, LoanReview
from .services import LoanStateError, application_approve, application_reject


def application_ready_for_review(application: LoanApplication) -> bool:
    """Every guarantor has answered and the accepted guarantees cover what the applicant's deposits do not."""
    guarantees = application.guarantees.all()
    if guarantees.filter(status=GuaranteeStatus.REQUESTED).exists():
        return False
    accepted = guarantees.filter(status=GuaranteeStatus.ACCEPTED).aggregate(total=Sum("amount"))["total"] or 0
    return accepted >= application.cover_needed


def guarantees_accepted(application: LoanApplication) -> Decimal:
    total = application.guarantees.filter(status=GuaranteeStatus.ACCEPTED).aggregate(total=Sum("amount"))["total"]
    return to_cents(str(total or 0))


def _staff_flag(rule, *, name: str, eligibility: Eligibility, application: LoanApplication) -> ApprovalFlag:
    """An eligibility rule the application fails, said to staff about the member (the rule's own detail speaks to
    the member: "Your KYC documents…")."""
    member = application.member
    if rule.code == "status":
        status = member.get_status_display().lower()
        return ApprovalFlag(
            "status", f"membership {status}", f"{name}'s membership is {status}; only active members can borrow."
        )
    if rule.code == "kyc":
        return ApprovalFlag("kyc", "KYC not verified", f"{name}'s KYC documents are not all verified yet.")
    if rule.code == "membership_age":
        return ApprovalFlag("membership_age", "member too recently", f"{name}: {rule.detail}")
    if rule.code == "share_capital":
        return ApprovalFlag("share_capital", "share capital short", f"{name}: {rule.detail}")
    if rule.code == "arrears":
        return ApprovalFlag("arrears", "in arrears", f"{name} has an overdue instalment on an active loan.")
    if rule.code == "limit":
        return ApprovalFlag(
            "limit",
            "over loan limit",
            f"{name} asks for {format_money(application.amount)} but can borrow up to "
            f"{format_money(eligibility.max_amount)} on this product now (deposits "
            f"{format_money(eligibility.deposits)} × {application.product.deposits_multiple.normalize():f}, "
            f"loans outstanding {format_money(eligibility.outstanding)}).",
        )
    if rule.code == "affordability":
        return ApprovalFlag("affordability", "two-thirds rule not met", f"{name}: {rule.detail}")
    return ApprovalFlag(rule.code, rule.code.replace("_", " "), f"{name}: {rule.detail}")


# What each rule means when it holds, said to staff (the rules' own details speak to the member).
RULES_MET = {
    "status": "active member",
    "kyc": "KYC verified",
    "membership_age": "member long enough",
    "share_capital": "share capital complete",
    "arrears": "no arrears",
    "limit": "within the loan limit",
    "affordability": "two-thirds rule met",
}


def loan_review_rules_met(eligibility: Eligibility) -> list[str]:
    return [RULES_MET.get(rule.code, rule.code.replace("_", " ")) for rule in eligibility.rules if rule.passed]


def loan_review_flags(application: LoanApplication, eligibility: Eligibility | None = None) -> list[ApprovalFlag]:
    """The rules this application fails today: the eligibility rules (eligibility.py) and the guarantee cover
    (`application_ready_for_review`), each said about the member for the officer and the committee."""
    member = application.member
    name = member.full_name
    if eligibility is None:
        eligibility = application_eligibility(application=application)
    flags = [
        _staff_flag(rule, name=name, eligibility=eligibility, application=application) for rule in eligibility.failed
    ]
    accepted = guarantees_accepted(application)
    if accepted < application.cover_needed:
        flags.append(
            ApprovalFlag(
                "guarantees",
                "guarantees short",
                f"Accepted guarantees cover {format_money(accepted)} of the {format_money(application.cover_needed)} "
                f"needed above {name}'s free deposits.",
            )
        )
    return flags


def loan_review_summary(review: LoanReview) -> ApprovalSummary:
    """The approval as the officer and the committee read it (LoanReview.approval_summary)."""
    application = review.application
    member = application.member
    return ApprovalSummary(
        kind="Loan application",
        subject=f"{member.full_name} ({member.membership_number})",
        what=str(application.product),
        amount=application.amount,
        # Flags matter while the application waits for a decision; a decided one is not checked again.
        flags=loan_review_flags(application) if application.status == ApplicationStatus.SUBMITTED else [],
    )


def loan_review_start(*, application: LoanApplication, by=None) -> LoanReview | None:
    """Put a ready application into the approval workflow, once; returns None while it is not ready."""
    if application.status != ApplicationStatus.SUBMITTED or not application_ready_for_review(application):
        return None
    existing = LoanReview.objects.filter(application=application).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        review = LoanReview.objects.create(application=application, live=False)
        workflow_submit(
            obj=review,
            by=by,
            missing=LoanStateError("No approval workflow is set up for loan applications (Settings → Workflows)."),
        )
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
    same checks as the admin's buttons — the step's groups, no conflict of interest, one vote each — and, as
    there, approving an application that fails a rule needs a reason (a ValidationError on "reason" otherwise)."""
    reason_message = "Say why the application is rejected; the member reads it."
    decision_validate(action=action, reason=reason, reason_message=reason_message)
    if application.status != ApplicationStatus.SUBMITTED:
        raise LoanStateError(f"This application is already {application.get_status_display().lower()}.")
    not_in_review = LoanStateError("This application is not in review yet: its guarantors have not all accepted.")
    review = LoanReview.objects.filter(application=application).first()
    if review is None:
        raise not_in_review
    try:
        workflow_act(
            obj=review,
            user=user,
            action=action,
            reason=reason,
            reason_message=reason_message,
            not_waiting=not_in_review,
            refused="You cannot {action} at the “{step}” step (or you have already voted).",
        )
    except ValidationError as exc:
        # The task asks for a comment when an approval fails a rule; here the comment is called the reason.
        if hasattr(exc, "error_dict") and "comment" in exc.error_dict:
            raise ValidationError({"reason": exc.error_dict["comment"]}) from exc
        raise
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
