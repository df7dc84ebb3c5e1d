"""Reads for members. Every member-facing query starts from the requesting user."""

from .models import Member, User


def member_for_user(*, user: User) -> Member | None:
    """The Member record of a logged-in user, or None for staff without one."""
    if not user.is_authenticated:
        return None
    return Member.objects.select_related("user").filter(user=user).first()


def activity_for_user(*, user: User):
    """Activity entries about this user, newest first."""
    from .models import ActivityLog

    return (
        ActivityLog.objects.filter(user=user)
        .only("created_at", "action", "ip_address", "user_agent", "email")
        .order_by("-created_at")
    )
