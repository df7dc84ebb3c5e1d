"""Recording activity (M5): one function, called by views, services and auth signal handlers."""

from .models import ActivityAction, ActivityLog, User


def client_ip(request) -> str | None:
    """The client's address. Behind a proxy, set NUM_PROXIES so X-Forwarded-For is trusted that far."""
    from django.conf import settings

    if request is None:
        return None
    proxies = getattr(settings, "NUM_PROXIES", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR")


def activity_record(
    *,
    action: ActivityAction | str,
    request=None,
    user: User | None = None,
    email: str = "",
    actor: User | None = None,
    detail: dict | None = None,
) -> ActivityLog:
    """Append one activity entry; never raises on a missing request (jobs and the shell have none)."""
    return ActivityLog.objects.create(
        user=user,
        actor=actor,
        email=(email or (user.email if user else ""))[:254],
        action=action,
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request else "")[:300],
        detail=detail or {},
    )
