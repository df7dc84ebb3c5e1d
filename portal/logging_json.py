"""Logs as JSON lines (production): one object per record, for log shippers that index fields.

Each line holds `time` (UTC, ISO 8601 with milliseconds), `level`, `logger`, `message`, the `request_id` when
there is one — a `request_id` attribute passed in `extra=`, or the `X-Request-ID` header of the request that
Django's own loggers attach (`django.request`, `django.security`) — and `exc_info` with the traceback if any.
"""

import json
import logging
from datetime import UTC, datetime


def _request_id(record: logging.LogRecord) -> str | None:
    request_id = getattr(record, "request_id", None)
    if request_id:
        return str(request_id)
    request = getattr(record, "request", None)
    meta = getattr(request, "META", None)
    if isinstance(meta, dict):
        return meta.get("HTTP_X_REQUEST_ID") or None
    return None


class JsonFormatter(logging.Formatter):
    """One JSON object per line; never raises on odd values (they are turned into strings)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = _request_id(record)
        if request_id:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        return json.dumps(entry, default=str, ensure_ascii=False)
