"""Health probes for load balancers and orchestrators: `/healthz` (alive) and `/readyz` (ready to serve).

- `/healthz` says the process answers HTTP: 200 `{"status": "ok"}`, touching nothing else (no database), so a
  database outage does not make the load balancer kill every app server at once.
- `/readyz` says this app server can do real work: the database answers, the cache stores and returns a value, and
  the job queue's broker is reachable (for django-q2's ORM broker: its table can be read; for Redis: a ping).
  200 with each check's status, or 503 naming what failed; a failed check's error is logged, never shown.

With a read replica in use (DATABASE_REPLICA_URL, portal/society/replica.py), `/readyz` also asks the replica
(one query, on its own connection) and reports it as `"replica": "ok"` or `"failed"` — but a failed replica does
not make the server unready: members' pages, payments, sign-in and every write need only the primary, so taking
every app server out of the load balancer because the reports' copy is down would turn a reports outage into a
whole outage. It is listed under `degraded` instead (200), for monitoring to alert on; reports and exports fail
until the replica is back or DATABASE_REPLICA_URL is removed (docs/operations.md, "Read replica").

Both are cheap (at most two queries on the primary) and anonymous. `HealthProbeMiddleware` answers them near the top
of the middleware stack, so nothing below it runs: no session or CSRF cookie, no language or second-factor redirect,
no sign-in, no lockout bookkeeping, and no `ALLOWED_HOSTS` check (load balancers probe an instance by its address,
not by the site's name). The only middleware above it are the 503-on-lost-database guard, `SecurityMiddleware`
(production exempts the probes from the HTTPS redirect with SECURE_REDIRECT_EXEMPT: load balancers probe over plain
HTTP) and the CSP header. The views are also routed in portal/urls.py, so `reverse("healthz")` works.
"""

import logging
import secrets
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from portal.society.replica import REPLICA_DB_ALIAS, ROUTER

logger = logging.getLogger(__name__)

CACHE_KEY = "portal:readyz"


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    token = secrets.token_hex(8)
    cache.set(CACHE_KEY, token, timeout=10)
    if cache.get(CACHE_KEY) != token:
        raise RuntimeError("the cache did not return the value just stored")


def _check_queue() -> None:
    from django_q.brokers import get_broker
    from django_q.conf import Conf

    if Conf.ORM:
        # The ORM broker's ping() always says yes, and its get_connection() closes old connections; reading the
        # table (one query, no rows needed) is what proves the queue can be used.
        from django_q.models import OrmQ

        OrmQ.objects.using(Conf.ORM).exists()
        return
    if not get_broker().ping():
        raise RuntimeError("the broker did not answer the ping")


def _check_replica() -> None:
    with connections[REPLICA_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        if cursor.fetchone()[0] is not True:
            raise RuntimeError("the replica database is not in recovery (not a replica, or promoted)")


def replica_in_use() -> bool:
    """A replica is configured and reports are routed to it (settings add both with DATABASE_REPLICA_URL)."""
    return REPLICA_DB_ALIAS in settings.DATABASES and ROUTER in settings.DATABASE_ROUTERS


CHECKS: dict[str, Callable[[], None]] = {"database": _check_database, "cache": _check_cache, "queue": _check_queue}
# Reported, never a reason to be unready (see the module's docstring); only with a replica in use.
OPTIONAL_CHECKS: dict[str, Callable[[], None]] = {"replica": _check_replica}


@never_cache
def healthz(request):
    """Alive: the process answers. Touches nothing else."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    """Ready: every check in CHECKS passes (200), else 503 with `failed` naming the checks that did not. A failed
    optional check (the replica) is named under `degraded`, with 200 if the rest pass."""
    checks: dict[str, str] = {}
    optional = OPTIONAL_CHECKS if replica_in_use() else {}
    for name, check in {**CHECKS, **optional}.items():
        try:
            check()
        except Exception:  # any failure of a dependency makes this server not ready; the details go to the log
            logger.warning("Readiness check %s failed", name, exc_info=True)
            checks[name] = "failed"
        else:
            checks[name] = "ok"
    failed = [name for name, status in checks.items() if status != "ok" and name not in optional]
    degraded = {"degraded": [name for name in optional if checks[name] != "ok"]} if optional else {}
    if failed:
        return JsonResponse({"status": "unavailable", "checks": checks, "failed": failed, **degraded}, status=503)
    return JsonResponse({"status": "ok", "checks": checks, **degraded})


PROBES = {"/healthz": healthz, "/readyz": readyz}


class HealthProbeMiddleware:
    """Answers the probes before sessions, locale, CSRF, authentication and the rest run (see the module)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info)
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)
