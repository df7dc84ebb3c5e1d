"""Actions on lockouts: staff unlock, the owner's emailed unlock link, and recording a good password on the API.

See lockout.py for the scheme (per source, per account, known sources)."""

import logging
import secrets

from axes.models import AccessAttempt, AccessLog
from axes.utils import reset
from django.core import signing
from django.core.cache import cache
from django.db.models import Sum
from django.urls import reverse

from portal.audit.services import ACTION, audit_log
from portal.notifications.services import notify

from .activity import activity_record, client_ip
from .lockout import account_failure_limit, failure_limit
from .models import ActivityAction, User

logger = logging.getLogger(__name__)

UNLOCK_SALT = "portal.members.lockout-unlock"
UNLOCK_LINK_MAX_AGE = 60 * 60  # seconds
UNLOCK_LINK_EVERY = 5 * 60  # at most one link per email in this many seconds: no inbox flooding
# At most this many requests per client address per hour, whatever the emails: one address cannot walk a list of
# members' emails to flood their inboxes (each email alone is held to UNLOCK_LINK_EVERY above).
UNLOCK_REQUESTS_PER_ADDRESS = 20
UNLOCK_REQUESTS_WINDOW = 60 * 60


class UnlockLinkError(ValueError):
    """The unlock link is not valid, has expired, or was used already."""


def lockout_unlock(*, email: str, by: User | None, request=None, via: str = "staff") -> int:
    """Clear the failed attempts of one email (every address) so it can sign in again; returns attempts removed."""
    email = (email or "").strip().lower()
    removed = reset(username=email)
    user = User.objects.filter(email__iexact=email).first()
    activity_record(
        action=ActivityAction.UNLOCKED, request=request, user=user, email=email, actor=by, detail={"via": via}
    )
    if user is not None:
        audit_log(
            instance=user,
            action=ACTION,
            by=by,
            summary=f"Unlocked sign-in by {via} ({removed} failed attempts cleared)",
        )
    return removed


def locked_emails() -> list[str]:
    """Emails locked from at least one address, or everywhere (the account-wide limit)."""
    from axes.attempts import get_cool_off_threshold

    recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold())
    by_source = recent.values("username", "ip_address").annotate(total=Sum("failures_since_start"))
    by_account = recent.values("username").annotate(total=Sum("failures_since_start"))
    locked = {row["username"] for row in by_source if row["total"] >= failure_limit(None, None)}
    locked |= {row["username"] for row in by_account if row["total"] >= account_failure_limit()}
    return sorted(locked)


def lockout_unlock_link_send(*, email: str, request=None) -> bool:
    """Email the owner a single-use link that unlocks their account. Returns whether one was sent; callers answer
    the same either way, so nobody learns whether an address has an account.

    Sent only to an active account that has failed attempts, at most once per UNLOCK_LINK_EVERY per email, and
    to nobody once the client address has asked UNLOCK_REQUESTS_PER_ADDRESS times this hour."""
    email = (email or "").strip().lower()
    if not _address_may_request(request):
        logger.warning("Unlock link requests from %s over the hourly limit", client_ip(request))
        return False
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None or not AccessAttempt.objects.filter(username=email).exists():
        return False
    if not cache.add(f"lockout-unlock-link:{email}", 1, UNLOCK_LINK_EVERY):
        return False
    token = signing.dumps({"e": email, "n": secrets.token_urlsafe(12)}, salt=UNLOCK_SALT, compress=True)
    path = reverse("lockout_unlock_confirm", args=[token])
    link = request.build_absolute_uri(path) if request is not None else path
    try:
        notify(
            user=user,
            subject="Unlock your account",
            template="lockout_unlock",
            context={"user": user, "minutes": UNLOCK_LINK_MAX_AGE // 60},
            link=link,
            inbox=False,
        )
    except OSError as exc:  # the mail server is down: the answer stays the same, the office can still unlock
        logger.warning("Unlock link email to user %s failed: %s", user.pk, exc)
        return False
    activity_record(action=ActivityAction.LOCKED_OUT, request=request, user=user, detail={"unlock_link": "sent"})
    return True


def _address_may_request(request) -> bool:
    """Count this request against its client address's hourly allowance (the count starts at the first request)."""
    address = client_ip(request)
    if not address:
        return True
    key = f"lockout-unlock-requests:{address}"
    cache.add(key, 0, UNLOCK_REQUESTS_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, UNLOCK_REQUESTS_WINDOW)
        count = 1
    return count <= UNLOCK_REQUESTS_PER_ADDRESS


def lockout_unlock_by_link(*, token: str, request=None) -> str:
    """Unlock the account a link was made for; returns its email. Single use: the link's nonce is recorded in the
    activity log entry of the unlock, and a link whose nonce is there already is refused."""
    try:
        payload = signing.loads(token or "", salt=UNLOCK_SALT, max_age=UNLOCK_LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise UnlockLinkError("This unlock link has expired. Ask for a new one.") from None
    except signing.BadSignature:
        raise UnlockLinkError("This unlock link is not valid.") from None
    email, nonce = payload.get("e"), payload.get("n")
    user = User.objects.filter(email__iexact=email or "", is_active=True).first()
    if user is None or not nonce:
        raise UnlockLinkError("This unlock link is not valid.")
    if user.activity.filter(action=ActivityAction.UNLOCKED, detail__link=nonce).exists():
        raise UnlockLinkError("This unlock link was used already. Ask for a new one if you are locked out again.")
    removed = _owner_source_unlock(email=email, request=request) if request is not None else reset(username=email)
    activity_record(
        action=ActivityAction.UNLOCKED,
        request=request,
        user=user,
        actor=user,
        detail={"via": "email link", "link": nonce, "cleared": removed},
    )
    return email


def _owner_source_unlock(*, email: str, request) -> int:
    """Open the account from the address the owner used the link from, and only there: its failures are cleared
    and it becomes a known source (lockout.py, limit 3), so the account-wide limit no longer applies to it. The
    other addresses keep their counts: clearing them all would hand an attacker a fresh budget of guesses each
    time the owner lets themselves back in."""
    ip_address = client_ip(request)
    removed, _ = AccessAttempt.objects.filter(username=email, ip_address=ip_address).delete()
    AccessLog.objects.create(
        username=email,
        ip_address=ip_address,
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:255],
        http_accept=request.META.get("HTTP_ACCEPT", "")[:1025],
        path_info=request.path[:255],
    )
    return removed


def lockout_password_success(*, request, email: str) -> None:
    """The API's password step succeeded: what axes does for a web sign-in. Clears this address's failures for
    the email and remembers the address as a known source (lockout.py, limit 3)."""
    ip_address = client_ip(request)
    AccessAttempt.objects.filter(username=email, ip_address=ip_address).delete()
    AccessLog.objects.create(
        username=email,
        ip_address=ip_address,
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:255],
        http_accept=request.META.get("HTTP_ACCEPT", "")[:1025],
        path_info=request.path[:255],
    )
