"""Reads for dividends: what a user may see of the members' dividends."""

from .models import MemberDividend


def member_dividends_visible_to(*, user):
    """Every member's dividends for staff who may read them; the member's own otherwise; none when signed out."""
    if user is None or not user.is_authenticated:
        return MemberDividend.objects.none()
    if user.has_perm("dividends.view_memberdividend"):
        return MemberDividend.objects.all()
    return MemberDividend.objects.filter(member__user=user)
