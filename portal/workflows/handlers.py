"""Workflow signal handlers: each calls what the approval record's app registered for that outcome
(portal/workflows/outcomes.py), so this generic app names none of the apps whose records it decides."""

from django.dispatch import receiver
from wagtail.models import TaskState
from wagtail.signals import workflow_approved, workflow_rejected

from .outcomes import outcomes_for


def _last_comment(workflow_state, status) -> str:
    task_state = workflow_state.task_states.filter(status=status).order_by("-finished_at").first()
    return (task_state.comment if task_state else "") or ""


@receiver(workflow_approved)
def on_workflow_approved(sender, instance, user=None, **kwargs):
    obj = instance.content_object
    outcomes = outcomes_for(obj)
    if outcomes is None or outcomes.approved is None:
        return
    outcomes.approved(obj, user=user, reason=_last_comment(instance, TaskState.STATUS_APPROVED))


@receiver(workflow_rejected)
def on_workflow_rejected(sender, instance, user=None, **kwargs):
    obj = instance.content_object
    outcomes = outcomes_for(obj)
    if outcomes is None or outcomes.rejected is None:
        return
    reason = _last_comment(instance, TaskState.STATUS_REJECTED) or "No reason given"
    outcomes.rejected(obj, user=user, reason=reason)
