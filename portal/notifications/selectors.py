"""Reads for the inbox."""

from .models import Notification


def unread_notifications_count(*, user) -> int:
    """Messages in the user's inbox not read yet (0 when signed out): the dashboard and the API show the same count."""
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
