"""Admin hooks for approval objects: their edit page offers only the workflow's decisions, each through the decision
page (confirmation and a comment, required when a rule fails); the "Awaiting your review" panel shows each record's
summary and links to the same decision page."""

from django.urls import path
from wagtail import hooks
from wagtail.admin.views.home import WorkflowObjectsToModeratePanel
from wagtail.snippets.action_menu import ActionMenuItem, WorkflowMenuItem

from .records import ApprovalRecord
from .services import ACTIONS
from .summary import days_waiting_display
from .views import decision_url, decision_view, summary_for


class DecisionMenuItem(ActionMenuItem):
    """Approve… / Reject… on an approval's edit page: a link to the decision page, so nothing is decided in one
    click and the page works without JavaScript."""

    def __init__(self, name: str, label: str, order: int = 100):
        self.name = name
        self.label = f"{label}…"
        self.icon_name = "check" if name == "approve" else "cross"
        super().__init__(order=order)

    def is_shown(self, context):
        return context["view"] == "edit"

    def get_url(self, parent_context):
        return decision_url(parent_context["instance"], self.name)


@hooks.register("construct_snippet_action_menu")
def decisions_only(menu_items, request, context):
    """On an approval object (`decided_in_workflow = True`), drop Save draft, Publish, Submit and the rest: nothing
    there is edited, and a saved revision would need approving again. Approve comes first, so it is the button."""
    if not getattr(context.get("model"), "decided_in_workflow", False):
        return
    decisions = []
    for item in menu_items:
        if isinstance(item, WorkflowMenuItem) and item.name in ACTIONS and item.name not in {d.name for d in decisions}:
            decisions.append(DecisionMenuItem(item.name, item.label.removesuffix("…")))
    decisions.sort(key=lambda item: item.name != "approve")
    menu_items[:] = decisions


@hooks.register("register_admin_urls")
def decision_urls():
    return [
        path(
            "approvals/<str:app_label>/<str:model_name>/<str:pk>/decide/<str:action>/",
            decision_view,
            name="workflows_decide",
        )
    ]


class AwaitingReviewPanel(WorkflowObjectsToModeratePanel):
    """Wagtail's "Awaiting your review", with each approval record's summary (member, what, amount, step, days
    waiting, flags) and its decisions as links to the decision page instead of one-click buttons."""

    template_name = "wagtailadmin_custom/awaiting_review.html"

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        for state in context["states"]:
            obj = state["obj"]
            if isinstance(obj, ApprovalRecord):
                state["summary"] = summary_for(obj)
                state["waiting"] = days_waiting_display(obj)
                offered = [(name, label) for name, label, _modal in state["actions"] if name in ACTIONS]
                offered.sort(key=lambda pair: pair[0] != "approve")
                state["decisions"] = [(label, decision_url(obj, name)) for name, label in offered]
        return context


@hooks.register("construct_homepage_panels")
def awaiting_review_with_summaries(request, panels):
    """Put the summary panel where Wagtail's own "Awaiting your review" is."""
    for index, panel in enumerate(panels):
        if type(panel) is WorkflowObjectsToModeratePanel:
            panels[index] = AwaitingReviewPanel()
