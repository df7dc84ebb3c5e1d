"""Reads for members. Every member-facing query starts from the requesting user."""

from .models import Member, User


def member_for_user(*, user: User) -> Member | None:
    """The Member record of a logged-in user, or None for staff without one."""
    if not user.is_authenticated:
        return None
    return Member.objects.select_related("user").filter(user=user).first()
