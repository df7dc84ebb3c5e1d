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


# --- Null characters -------------------------------------------------------------------------------------------
NUL_MESSAGE = "Null characters are not allowed."
# DRF's pagination answers a bad page itself (404), as the schema says.
NUL_CHECK_EXEMPT_PARAMETERS = {"page"}


class NullCharacterMiddleware:
    """A query parameter with a NUL character is a 400 naming the parameter, for every view at once.

    PostgreSQL refuses any text containing NUL (a DataError: a 500 wherever a view filters on a raw parameter).
    Forms and serializers already refuse NUL in bodies (Django's and DRF's ProhibitNullCharactersValidator); query
    strings reach views as raw text, so they are checked here, before any view reads them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name, values in request.GET.lists():
            if name in NUL_CHECK_EXEMPT_PARAMETERS:
                continue
            if "\x00" in name or any("\x00" in value for value in values):
                return null_character_response(request, name.replace("\x00", "") or "query")
        return self.get_response(request)


def null_character_response(request, parameter: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({parameter: [NUL_MESSAGE]}, status=400)
    return HttpResponse(f"{parameter}: {NUL_MESSAGE}", status=400, content_type="text/plain; charset=utf-8")


# --- Not found under /api/ -------------------------------------------------------------------------------------
def not_found(request, exception=None):
    """handler404: JSON for API clients (an unknown path or a malformed id in one), Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)
