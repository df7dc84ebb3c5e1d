"""Account lockout (M3, issue 12) through django-axes, tuned so that guessing stays capped but a stranger cannot
keep the owner out.

Three limits, counted over the cool-off period (SaccoSettings: `lockout_threshold` failures, `lockout_minutes`):

1. Per source: an email tried from one client address (`AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]`)
   is locked after `lockout_threshold` failures. An attacker guessing from their address locks only themselves;
   the owner, from their own address, signs in as usual.
2. Per account: across all addresses, `lockout_threshold × LOCKOUT_ACCOUNT_FACTOR` failures (default 4×, so 20
   with the default 5) lock the email everywhere. So a botnet with many addresses still gets at most that many
   guesses per period.
3. Known sources: an address the account signed in from successfully (password right) in the last
   `LOCKOUT_KNOWN_SOURCE_DAYS` days keeps its own per-source allowance even when the account-wide limit is hit. So
   a stranger with many addresses cannot keep the owner out of their usual office or home connection, and guessing
   from those addresses is capped by limit 1.

And the owner can always let themselves back in: the lockout page and the API's lockout answer offer "email me
an unlock link" (lockout_services.lockout_unlock_link_send): a signed, single-use link valid for an hour that
clears the failures from the address it is used from and makes that address a known source (limit 3); the
other addresses keep their counts, so an unlock never hands a guesser a fresh budget. It is sent only when the
email has an active account with failed attempts, but the answer is the same for every address. Staff can still
unlock from the admin.

Unknown emails are counted the same way, so the answers never tell an attacker whether an address has an account.
The client address is read through NUM_PROXIES only (portal.members.activity.client_ip), never a raw
X-Forwarded-For: a spoofed header cannot borrow the owner's address or escape limit 1.
"""

import datetime

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render
from django.utils import timezone

from portal.society.policy import sacco_settings


def _sacco():
    return sacco_settings()


def failure_limit(request, credentials) -> int:
    """Failures allowed from one client address for one email."""
    return _sacco().lockout_threshold


def account_failure_limit() -> int:
    """Failures allowed for one email across all client addresses."""
    return _sacco().lockout_threshold * getattr(settings, "LOCKOUT_ACCOUNT_FACTOR", 4)


def cooloff_time(request) -> datetime.timedelta:
    return datetime.timedelta(minutes=_sacco().lockout_minutes)


def username_from_request(request, credentials) -> str:
    """The email being tried: allauth passes `email`, simplejwt `email`, Django's forms `username`."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username") or credentials.get("login")
    if not value and request is not None:
        value = request.POST.get("login") or request.POST.get("email") or request.POST.get("username")
    return (value or "").strip().lower()


def is_known_source(*, username: str, ip_address: str | None) -> bool:
    """The account signed in successfully from this address recently (axes' access log)."""
    if not username or not ip_address:
        return False
    since = timezone.now() - datetime.timedelta(days=getattr(settings, "LOCKOUT_KNOWN_SOURCE_DAYS", 90))
    return AccessLog.objects.filter(username=username, ip_address=ip_address, attempt_time__gte=since).exists()


def _failures(queryset) -> int:
    return queryset.aggregate(total=Sum("failures_since_start"))["total"] or 0


class SaccoLockoutHandler(AxesDatabaseHandler):
    """axes' database handler with the three limits above. axes compares `get_failures` with `failure_limit`
    (the per-source limit), so an account-wide lock is reported as reaching that limit."""

    def get_failures(self, request, credentials=None) -> int:
        username = get_client_username(request, credentials)
        ip_address = getattr(request, "axes_ip_address", None)
        recent = AccessAttempt.objects.filter(username=username, attempt_time__gte=get_cool_off_threshold(request))
        from_source = _failures(recent.filter(ip_address=ip_address))
        limit = failure_limit(request, credentials)
        if from_source >= limit or is_known_source(username=username, ip_address=ip_address):
            return from_source
        if _failures(recent) >= account_failure_limit():
            return limit
        return from_source


def lockout_response(request, original_response=None, credentials=None):
    """The same page for every locked email, known or not; API clients get JSON."""
    minutes = _sacco().lockout_minutes
    message = (
        f"Too many failed sign-in attempts. This account is locked for {minutes} minutes. "
        "If it was you, we can email you a link that unlocks it now; if you have forgotten your password, "
        "reset it, or call the SACCO office."
    )
    if request.path.startswith("/api/"):
        from django.http import JsonResponse

        return JsonResponse(
            {"detail": message, "code": "account_locked", "unlock_request": "/api/auth/unlock-request/"}, status=429
        )
    return render(request, "account/locked_out.html", {"message": message}, status=429)
