"""Production's log formatter (issue 17): one JSON object per line with time, level, logger, message, request id."""

import json
import logging
import sys
from types import SimpleNamespace

from portal.logging_json import JsonFormatter


def _record(message="Loan %s approved", args=("L-42",), level=logging.INFO, exc_info=None, **extra):
    record = logging.LogRecord("portal.loans", level, __file__, 10, message, args, exc_info)
    record.created = 1_796_025_600.25  # 2026-11-30 08:00:00.250 UTC
    for name, value in extra.items():
        setattr(record, name, value)
    return record


def test_one_json_object_per_line_with_the_fields():
    line = JsonFormatter().format(_record())
    assert "\n" not in line
    assert json.loads(line) == {
        "time": "2026-11-30T08:00:00.250+00:00",
        "level": "INFO",
        "logger": "portal.loans",
        "message": "Loan L-42 approved",
    }


def test_request_id_from_extra_or_from_the_request_header():
    assert json.loads(JsonFormatter().format(_record(request_id="abc-123")))["request_id"] == "abc-123"
    request = SimpleNamespace(META={"HTTP_X_REQUEST_ID": "lb-7f3e"})
    assert json.loads(JsonFormatter().format(_record(request=request)))["request_id"] == "lb-7f3e"
    assert "request_id" not in json.loads(JsonFormatter().format(_record(request=SimpleNamespace(META={}))))


def test_a_traceback_stays_on_the_one_line_and_odd_values_do_not_break_it():
    try:
        raise ValueError("bad amount")
    except ValueError:
        exc_info = sys.exc_info()
    line = JsonFormatter().format(_record("Failed: %s\nnext line", (object(),), logging.ERROR, exc_info))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "ERROR"
    assert entry["message"].startswith("Failed: <object object")
    assert "ValueError: bad amount" in entry["exc_info"]
    assert json.loads(JsonFormatter().format(_record("Karibu %s", ("Wanjikũ",))))["message"] == "Karibu Wanjikũ"
