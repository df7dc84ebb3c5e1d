"""The API's exception handler (REST_FRAMEWORK["EXCEPTION_HANDLER"]): DRF's own, plus one rule — a database that is
away for a moment (lost connection, lock or statement timeout, deadlock; see portal/middleware.py for which errors
count) answers 503 with Retry-After and a JSON detail, so a client retries instead of reporting a 500."""

from rest_framework import exceptions, status
from rest_framework.views import exception_handler

from portal.middleware import MESSAGE, RETRY_AFTER_SECONDS, transient_database_error


class DatabaseUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = MESSAGE
    default_code = "database_unavailable"

    def __init__(self):
        super().__init__()
        self.wait = RETRY_AFTER_SECONDS  # DRF's handler turns `wait` into the Retry-After header


def api_exception_handler(exc, context):
    """DRF's handler, with transient database errors turned into DatabaseUnavailable (503 + Retry-After)."""
    if transient_database_error(exc):
        exc = DatabaseUnavailable()
    return exception_handler(exc, context)
