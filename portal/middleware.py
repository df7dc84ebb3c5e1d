"""A database that is away for a moment is a 503 with Retry-After, not a 500.

A lost connection (PostgreSQL restarted or failed over, a proxy dropped the socket), a lock or statement timeout,
a deadlock or serialization failure, SQLite's "database is locked": the request did nothing wrong and the same
request a few seconds later will most likely work, so the answer says so (503 + Retry-After), and load balancers
and API clients retry instead of reporting a bug. Errors that will not go away by waiting — SQLite's "no such
table" after a missed migration, a syntax error — stay 500s, so they are seen.

Two paths reach here:
- an exception raised by a view: `process_exception` answers 503 directly;
- an exception raised by another middleware (loading the session or the user happens there): Django turns it into
  a 500 at that middleware's level before this one sees it, so the `got_request_exception` receiver marks the
  request and the outermost middleware swaps that 500 for the 503.
The API's own handler (portal/api/exceptions.py) does the same for DRF views, in JSON.
"""

import sys

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpResponse, JsonResponse

RETRY_AFTER_SECONDS = 5
MESSAGE = "The database is unavailable for a moment. Please try again in a few seconds."

# PostgreSQL SQLSTATEs that mean "try again": connection exceptions (08…), transaction rollback (40…: serialization
# failure, deadlock), insufficient resources (53…: too many connections, out of memory/disk), operator intervention
# (57…: admin shutdown, crash shutdown, cannot connect now, statement timeout), lock not available (55P03).
TRANSIENT_SQLSTATE_CLASSES = ("08", "40", "53", "57")
TRANSIENT_SQLSTATES = {"55P03"}
# SQLite reports everything as OperationalError; only these messages are about the moment, not the schema.
TRANSIENT_SQLITE_MESSAGES = ("database is locked", "database table is locked", "disk i/o error", "unable to open")


def transient_database_error(exc: BaseException | None) -> bool:
    """Whether `exc` is a database error that waiting may cure (see the module's docstring)."""
    if isinstance(exc, InterfaceError):  # the connection is closed or unusable
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate:
        return sqlstate.startswith(TRANSIENT_SQLSTATE_CLASSES) or sqlstate in TRANSIENT_SQLSTATES
    module = type(cause).__module__ if cause is not None else ""
    if module.startswith("sqlite3") or "sqlite" in str(type(cause)).lower():
        text = str(exc).lower()
        return any(message in text for message in TRANSIENT_SQLITE_MESSAGES)
    # No SQLSTATE from a client/server driver: the server never answered (connection refused, lost, reset).
    return True


def unavailable_response(request) -> HttpResponse:
    """The 503: JSON under /api/, a short page elsewhere. Renders no template (templates may read the database)."""
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": MESSAGE}, status=503)
    else:
        response = HttpResponse(
            f"<!doctype html><title>Try again in a moment</title><h1>Try again in a moment</h1><p>{MESSAGE}</p>",
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@receiver(got_request_exception, dispatch_uid="portal.middleware.mark_transient_database_error")
def _mark_transient_database_error(sender, request=None, **kwargs):
    """Called inside Django's `except` block for an uncaught exception; remembers a transient one on the request."""
    if request is not None and transient_database_error(sys.exc_info()[1]):
        request._transient_database_error = True


class DatabaseUnavailableMiddleware:
    """Put first in MIDDLEWARE: it must be the outermost layer to see the 500s other middleware produce."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, "_transient_database_error", False):
            return unavailable_response(request)
        return response

    def process_exception(self, request, exception):
        if transient_database_error(exception):
            return unavailable_response(request)
        return None
