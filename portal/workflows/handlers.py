"""Workflow signal handlers: each calls one service for the approval object's model."""

from django.dispatch import receiver
from wagtail.models import TaskState
from wagtail.signals import workflow_approved, workflow_rejected


@receiver(workflow_approved)
def on_workflow_approved(sender, instance, user=None, **kwargs):
    from portal.members.kyc import kyc_decision_record
    from portal.members.models import KycDecision, KycDocument

    obj = instance.content_object
    if isinstance(obj, KycDocument):
        kyc_decision_record(document=obj, status=KycDecision.VERIFIED, reason="", by=user)


@receiver(workflow_rejected)
def on_workflow_rejected(sender, instance, user=None, **kwargs):
    from portal.members.kyc import kyc_decision_record
    from portal.members.models import KycDecision, KycDocument

    obj = instance.content_object
    if isinstance(obj, KycDocument):
        rejected = instance.task_states.filter(status=TaskState.STATUS_REJECTED).order_by("-finished_at").first()
        reason = (rejected.comment if rejected else "") or "No reason given"
        kyc_decision_record(document=obj, status=KycDecision.REJECTED, reason=reason, by=user)
