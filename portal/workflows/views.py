"""Admin views shared by the approval snippets (KYC documents, loan approvals; statements later)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from wagtail.snippets.views.snippets import EditView


class ReviewEditView(EditView):
    """The edit view of an approval object, where reviewers press Approve or Reject.

    Wagtail saves a new revision before running a workflow action; with WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT
    that new revision needs approving again, so the review would never finish. Reviewers change nothing (the
    panels are read-only), so the action runs on the submitted revision without saving one, and every other kind
    of POST (save, submit again, unpublish) is refused: a save would reset the approvals given so far.
    """

    def post(self, request, *args, **kwargs):
        if self.action != "workflow-action":
            messages.error(request, "Nothing here is edited: use the Approve or Reject actions.")
            return redirect(self.get_success_url())
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        self.form = form
        task_state = self.object.current_workflow_task_state
        try:
            self.workflow_action_action()
        except (PermissionDenied, ValidationError) as exc:
            text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            messages.error(self.request, text or "You cannot do that at this step.")
            return redirect(self.get_success_url())
        task_state.refresh_from_db()
        if task_state.status == task_state.STATUS_IN_PROGRESS:
            messages.success(self.request, f"Your vote on {self.object} is recorded; more approvals are needed.")
        else:
            verb = {"approve": "approved", "reject": "rejected"}.get(self.workflow_action, "updated")
            messages.success(self.request, f"{self.object} {verb}.")
        return redirect(self.get_success_url())
