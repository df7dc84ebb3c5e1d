"""Who a mass email (portal/notifications/mass_email.py) goes to: the members of an audience, by status, with an
active login, optionally of one employer. Notifications sits below members and cannot read the register itself
(issue 13); MembersConfig.ready() registers `mass_email_members` for every audience."""

from django.db.models import QuerySet

from portal.notifications.models import MassEmailAudience

from .models import Member


def mass_email_members(*, audience: str, employer: str = "") -> QuerySet[Member]:
    """Members whose login is active: all of them, or those of the audience's status; of `employer` when given."""
    members = Member.objects.select_related("user").filter(user__is_active=True)
    if audience != MassEmailAudience.ALL:
        members = members.filter(status=audience)
    if employer.strip():
        members = members.filter(employer__iexact=employer.strip())
    return members
