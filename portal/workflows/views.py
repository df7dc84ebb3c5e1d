"""Admin views shared by the approval snippets (KYC documents now; loan applications and statements later)."""

from django.contrib import messages
from django.shortcuts import redirect
from wagtail.snippets.views.snippets import EditView


class ReviewEditView(EditView):
    """The edit view of an approval object, where reviewers press Approve or Reject.

    Wagtail saves a new revision before running a workflow action; with WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT
    that new revision needs approving again, so the review would never finish. Reviewers change nothing (the
    panels are read-only), so the action runs on the submitted revision without saving one.
    """

    def form_valid(self, form):
        if self.action == "workflow-action":
            self.form = form
            self.workflow_action_action()
            verb = {"approve": "approved", "reject": "rejected"}.get(self.workflow_action, "updated")
            messages.success(self.request, f"{self.object} {verb}.")
            return redirect(self.get_success_url())
        return super().form_valid(form)
