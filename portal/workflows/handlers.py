"""Workflow signal handlers: each calls one service for the approval object's model."""

from django.dispatch import receiver
from wagtail.models import TaskState
from wagtail.signals import workflow_approved, workflow_rejected


def _last_comment(workflow_state, status) -> str:
    task_state = workflow_state.task_states.filter(status=status).order_by("-finished_at").first()
    return (task_state.comment if task_state else "") or ""


@receiver(workflow_approved)
def on_workflow_approved(sender, instance, user=None, **kwargs):
    from portal.loans.approval import review_finished
    from portal.loans.models import LoanReview
    from portal.members.kyc import kyc_decision_record
    from portal.members.models import KycDecision, KycDocument

    obj = instance.content_object
    if isinstance(obj, KycDocument):
        kyc_decision_record(document=obj, status=KycDecision.VERIFIED, reason="", by=user)
    elif isinstance(obj, LoanReview):
        reason = _last_comment(instance, TaskState.STATUS_APPROVED)
        review_finished(review=obj, approved=True, user=user, reason=reason)
    else:
        from portal.dividends.models import DividendDeclaration

        if isinstance(obj, DividendDeclaration):
            from portal.dividends.services import dividend_post

            dividend_post(declaration=obj, approved_by=user)


@receiver(workflow_rejected)
def on_workflow_rejected(sender, instance, user=None, **kwargs):
    from portal.loans.approval import review_finished
    from portal.loans.models import LoanReview
    from portal.members.kyc import kyc_decision_record
    from portal.members.models import KycDecision, KycDocument

    obj = instance.content_object
    reason = _last_comment(instance, TaskState.STATUS_REJECTED) or "No reason given"
    if isinstance(obj, KycDocument):
        kyc_decision_record(document=obj, status=KycDecision.REJECTED, reason=reason, by=user)
    elif isinstance(obj, LoanReview):
        review_finished(review=obj, approved=False, user=user, reason=reason)
