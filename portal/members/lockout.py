"""Account lockout (M3) through django-axes, tuned for a SACCO.

Locks by the email typed (not by IP: behind a proxy or a shared office NAT, IP locks would shut out everyone),
for the number of failures and the period in SaccoSettings. Unknown emails are counted the same way, so the
response never tells an attacker whether an address has an account.
"""

import datetime

from django.shortcuts import render


def _sacco():
    from portal.home.models import SaccoSettings

    return SaccoSettings.load()


def failure_limit(request, credentials) -> int:
    return _sacco().lockout_threshold


def cooloff_time(request) -> datetime.timedelta:
    return datetime.timedelta(minutes=_sacco().lockout_minutes)


def username_from_request(request, credentials) -> str:
    """The email being tried: allauth passes `email`, simplejwt `email`, Django's forms `username`."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username") or credentials.get("login")
    if not value and request is not None:
        value = request.POST.get("login") or request.POST.get("email") or request.POST.get("username")
    return (value or "").strip().lower()


def lockout_response(request, original_response=None, credentials=None):
    """The same page for every locked email, known or not; API clients get JSON."""
    minutes = _sacco().lockout_minutes
    message = (
        f"Too many failed sign-in attempts. This account is locked for {minutes} minutes. "
        "If you have forgotten your password, reset it, or call the SACCO office to unlock the account."
    )
    if request.path.startswith("/api/"):
        from django.http import JsonResponse

        return JsonResponse({"detail": message, "code": "account_locked"}, status=429)
    return render(request, "account/locked_out.html", {"message": message}, status=429)
