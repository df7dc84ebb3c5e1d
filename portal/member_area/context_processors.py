"""Template context every member-area page needs, whichever kind of view renders it."""

from functools import partial

from portal.notifications.selectors import unread_notifications_count


def member_area(request) -> dict:
    """The unread-message count for the menu's badge, counted only if the page shows it (templates call a
    callable when they read it; views that already counted pass their own number, which wins)."""
    if not request.path.startswith("/portal/"):
        return {}
    return {"unread_notifications": partial(unread_notifications_count, user=request.user)}
