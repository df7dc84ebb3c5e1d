"""Acting on an approval object's workflow from code (the seed's approve/reject/verify endpoints, the demo): the
same checks as the admin's buttons, because it asks the current task which actions this user has."""

from django.core.exceptions import PermissionDenied, ValidationError
from wagtail.models import TaskState

ACTIONS = ("approve", "reject")


def decision_validate(*, action: str, reason: str, reason_message: str) -> None:
    """An action is approve or reject, and a rejection says why (`reason_message` names what is rejected)."""
    if action not in ACTIONS:
        raise ValidationError({"action": ["Use approve or reject."]})
    if action == "reject" and not (reason or "").strip():
        raise ValidationError({"reason": [reason_message]})


def workflow_act(
    *, obj, user, action: str, reason: str, reason_message: str, not_waiting: Exception, refused: str
) -> None:
    """Approve or reject at the object's current workflow step as `user`.

    `not_waiting` is raised when no step is in progress; PermissionDenied(`refused`) when the step offers this user
    no such action (not in its groups, a conflict of interest, or — on a committee step — already voted)."""
    decision_validate(action=action, reason=reason, reason_message=reason_message)
    task_state = obj.current_workflow_task_state
    if task_state is None or task_state.status != TaskState.STATUS_IN_PROGRESS:
        raise not_waiting
    task = task_state.task.specific
    if not any(name == action for name, *_ in task.get_actions(obj, user)):
        raise PermissionDenied(refused.format(action=action, step=task.name))
    task.on_action(task_state, user, action, comment=reason.strip())
