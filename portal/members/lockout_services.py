"""Staff actions on lockouts."""

from axes.models import AccessAttempt
from axes.utils import reset

from portal.audit.services import ACTION, audit_log

from .activity import activity_record
from .models import ActivityAction, User


def lockout_unlock(*, email: str, by: User | None, request=None) -> int:
    """Clear the failed attempts of one email so it can sign in again; returns attempts removed."""
    removed = reset(username=email)
    user = User.objects.filter(email__iexact=email).first()
    activity_record(action=ActivityAction.UNLOCKED, request=request, user=user, email=email, actor=by)
    if user is not None:
        audit_log(instance=user, action=ACTION, by=by, summary=f"Unlocked sign-in ({removed} failed attempts cleared)")
    return removed


def locked_emails() -> list[str]:
    from .lockout import failure_limit

    limit = failure_limit(None, None)
    return list(AccessAttempt.objects.filter(failures_since_start__gte=limit).values_list("username", flat=True))
