"""Admin hooks for approval objects: their edit page offers only the workflow's decisions."""

from wagtail import hooks
from wagtail.snippets.action_menu import WorkflowMenuItem


@hooks.register("construct_snippet_action_menu")
def decisions_only(menu_items, request, context):
    """On an approval object (`decided_in_workflow = True`), drop Save draft, Publish, Submit and the rest: nothing
    there is edited, and a saved revision would need approving again. Approve comes first, so it is the button."""
    if not getattr(context.get("model"), "decided_in_workflow", False):
        return
    decisions = [item for item in menu_items if isinstance(item, WorkflowMenuItem)]
    decisions.sort(key=lambda item: item.name != "approve")
    menu_items[:] = decisions
