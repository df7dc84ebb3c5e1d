"""Template context every member-area page needs, whichever kind of view renders it."""

from portal.notifications.selectors import unread_notifications_count


class _UnreadCount:
    """The unread count, counted when a template first reads it and then remembered for the rest of the page: the
    menu, the tab bar and the page may all read it (templates call a callable each time they read it)."""

    __slots__ = ("user", "value")

    def __init__(self, user):
        self.user = user
        self.value = None

    def __call__(self) -> int:
        if self.value is None:
            self.value = unread_notifications_count(user=self.user)
        return self.value


def member_area(request) -> dict:
    """The unread-message count for the menu's badge, counted only if the page shows it (templates call a
    callable when they read it; views that already counted pass their own number, which wins)."""
    if not request.path.startswith("/portal/"):
        return {}
    return {"unread_notifications": _UnreadCount(request.user)}
