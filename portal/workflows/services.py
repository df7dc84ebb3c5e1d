"""Sending an approval object into its workflow, and acting on it from code (the seed's approve/reject/verify
endpoints, the demo): the same checks as the admin's buttons, because it asks the current task which actions this
user has."""

from django.core.exceptions import PermissionDenied, ValidationError
from wagtail.models import TaskState

ACTIONS = ("approve", "reject")


def workflow_submit(*, obj, by, missing: Exception | None) -> None:
    """Send a freshly prepared approval object into its workflow as `by`: one place for what every approval record
    does when prepared (a logged revision for the workflow to approve, then the model's workflow started).

    `missing` is raised when no workflow is set up for the model (Settings → Workflows); None where the workflow is
    optional (a KYC document without one stays a draft). Call it inside the caller's transaction, so that a missing
    workflow undoes the object too."""
    obj.save_revision(user=by, log_action=True)
    workflow = obj.get_workflow()
    if workflow is None:
        if missing is not None:
            raise missing
        return
    workflow.start(obj, by)


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
