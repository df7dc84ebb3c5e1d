"""Reads for members. Every member-facing query starts from the requesting user."""

from .models import ActivityLog, KycDocument, Member, User


def member_for_user(*, user: User, annotations: dict | None = None) -> Member | None:
    """The Member record of a logged-in user, or None for staff without one. `annotations`: expressions read in the
    same query (the portal's inbox badge), set as attributes of the member."""
    if not user.is_authenticated:
        return None
    members = Member.objects.select_related("user").filter(user=user)
    if annotations:
        members = members.annotate(**annotations)
    return members.first()


def members_visible_to(*, user: User | None):
    """The member records this user may read: every member for staff who read the register, their own otherwise,
    none for anyone signed out. Others' records are then a 404, so ids reveal nothing."""
    if user is None or not user.is_authenticated:
        return Member.objects.none()
    if user.is_staff and user.has_perm("members.view_member"):
        return Member.objects.all()
    return Member.objects.filter(user=user)


def kyc_documents_visible_to(*, user: User | None):
    """Every KYC document for staff who review them; the member's own otherwise; none when signed out."""
    if user is None or not user.is_authenticated:
        return KycDocument.objects.none()
    if user.has_perm("members.view_kycdocument"):
        return KycDocument.objects.all()
    return KycDocument.objects.filter(member__user=user)


def activity_logs_visible_to(*, user: User | None):
    """Everyone's activity entries for staff who may read them; the user's own otherwise; none when signed out."""
    if user is None or not user.is_authenticated:
        return ActivityLog.objects.none()
    if user.has_perm("members.view_activitylog"):
        return ActivityLog.objects.all()
    return ActivityLog.objects.filter(user=user)


def activity_for_user(*, user: User):
    """Activity entries about this user, newest first."""
    return (
        ActivityLog.objects.filter(user=user)
        .only("created_at", "action", "ip_address", "user_agent", "email")
        .order_by("-created_at")
    )
