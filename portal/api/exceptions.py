"""The API's exception handler (REST_FRAMEWORK["EXCEPTION_HANDLER"]): one place that says how a service's refusal
reaches a client, so views call services without a try/except around each call (issue 13).

- A state conflict (portal.society.errors.StateConflict: the object is already decided, disbursed, processed…) → 409
  {"detail": "…"}.
- Django's ValidationError from a service → 400 naming the fields ({field: [messages]}), or
  {"non_field_errors": [messages]} when the error names no field.
- Django's PermissionDenied → 403 {"detail": message} and Http404 → 404: DRF's own handling.
- A database that is away for a moment (lost connection, lock or statement timeout, deadlock; see
  portal/middleware.py for which errors count) → 503 with Retry-After and a JSON detail, so a client retries instead
  of reporting a 500.

A view catches an exception itself only where its answer differs from these (another status or another body for that
view's fields); each such block says so."""

from django.core.exceptions import ValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from portal.middleware import MESSAGE, RETRY_AFTER_SECONDS, transient_database_error
from portal.society.errors import StateConflict

# The services' "the object's state does not allow this" errors (LoanStateError, BatchNotProcessable…) are
# StateConflicts. They are ValidationErrors too (the admin shows them as form errors); to an API client they are a
# 409, not a 400: the request was well formed, the object moved on. Checked before the 400 rule.
CONFLICTS: tuple[type[Exception], ...] = (StateConflict,)


class DatabaseUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = MESSAGE
    default_code = "database_unavailable"

    def __init__(self):
        super().__init__()
        self.wait = RETRY_AFTER_SECONDS  # DRF's handler turns `wait` into the Retry-After header


class Conflict(exceptions.APIException):
    """409: the object's state does not allow this request (raised by the API itself, or mapped from CONFLICTS)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The object's state does not allow this."
    default_code = "conflict"


def validation_error_body(exc: ValidationError) -> dict:
    """{field: [messages]} when the error names fields, else {"non_field_errors": [messages]} (DRF's own key)."""
    return exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}


def conflict_from(exc: Exception) -> Conflict:
    """A service's state error as a Conflict: its messages joined into one detail."""
    messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
    return Conflict(" ".join(str(m) for m in messages))


def api_exception_handler(exc, context):
    """DRF's handler, plus the service errors above. ATOMIC_REQUESTS is off, so answering a service's
    ValidationError here changes nothing about what was committed compared with a view catching it."""
    if transient_database_error(exc):
        exc = DatabaseUnavailable()
    elif isinstance(exc, CONFLICTS):
        exc = conflict_from(exc)
    elif isinstance(exc, ValidationError):
        return Response(validation_error_body(exc), status=status.HTTP_400_BAD_REQUEST)
    return exception_handler(exc, context)
