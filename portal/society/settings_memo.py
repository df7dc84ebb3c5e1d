"""The society's settings read once per request (issue 17): a page reads them from the template (site name,
contacts), from the view and from the selectors it calls; one query serves them all.

The memo lives only between request_started and request_finished, in a context-local (one per thread or task),
and a save or delete of the settings inside the request forgets it, so nothing read here outlives the request or
misses a change. Outside requests (commands, jobs, tests calling services) every read queries."""

from asgiref.local import Local
from django.core.signals import request_finished, request_started

_local = Local()


def _start(**kwargs) -> None:
    _local.memo = {}


def _finish(**kwargs) -> None:
    _local.memo = None


def settings_forget(**kwargs) -> None:
    """A settings row was saved or deleted: the next read in this request queries again."""
    memo = getattr(_local, "memo", None)
    if memo:
        memo.clear()


def settings_memoized(model, load):
    """`load()` once per request for `model`; every call outside a request loads afresh."""
    memo = getattr(_local, "memo", None)
    if memo is None:
        return load()
    if model not in memo:
        memo[model] = load()
    return memo[model]


request_started.connect(_start, dispatch_uid="society_settings_memo_start")
request_finished.connect(_finish, dispatch_uid="society_settings_memo_finish")
