"""A form's answers kept across the second-factor detour (issue 14).

When a POST needs a fresh code (or the second factor is not set up yet), the member is sent to the code page; without
this the form they filled in on a slow phone connection was lost. The answers wait in the session (server side, in
the database with the session), tied to the member and the form's path, and are handed back once, on the member's
next visit to that form, within a short window. Files and anything that looks like a secret are never kept, and
the size is capped so a session cannot be stuffed.
"""

import json
import re
import time

from django.http import HttpRequest, QueryDict

STASH_SESSION_KEY = "form_stash"
# Long enough to wait for an emailed code or enrol an authenticator app for the first time, short enough that an
# abandoned answer is not offered again much later.
STASH_SECONDS = 15 * 60
STASH_MAX_FIELDS = 60
STASH_MAX_BYTES = 16 * 1024
# Passwords, codes and the CSRF token are never kept (the CSRF token is issued afresh with the form).
SECRET_FIELD = re.compile(r"pass(word|wd)|secret|token|otp|(^|_)pin$", re.IGNORECASE)


def form_stash_keep(*, request: HttpRequest) -> bool:
    """Keep this POST's fields (not files, not secrets) for its path. Returns whether they were kept.

    One form is kept per session: a newer POST replaces an older one. Too many or too large answers are not kept
    (and any older ones are dropped), so the member sees an empty form rather than someone else's leftovers."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    data = {key: values for key, values in request.POST.lists() if not SECRET_FIELD.search(key)}
    if len(data) > STASH_MAX_FIELDS or len(json.dumps(data)) > STASH_MAX_BYTES:
        request.session.pop(STASH_SESSION_KEY, None)
        return False
    request.session[STASH_SESSION_KEY] = {
        "path": request.path,
        "user": str(user.pk),
        "at": int(time.time()),
        "data": data,
    }
    return True


def _live(request: HttpRequest, stash) -> bool:
    user = getattr(request, "user", None)
    return bool(
        isinstance(stash, dict)
        and user is not None
        and user.is_authenticated
        and stash.get("user") == str(user.pk)
        and isinstance(stash.get("at"), int)
        and time.time() - stash["at"] <= STASH_SECONDS
        and isinstance(stash.get("data"), dict)
    )


def form_stash_waiting(*, request: HttpRequest, path: str) -> bool:
    """Whether answers for `path` (a path, optionally with a query) are waiting: the code page says so."""
    stash = request.session.get(STASH_SESSION_KEY)
    return _live(request, stash) and stash.get("path") == path.split("?", 1)[0]


def form_stash_take(*, request: HttpRequest) -> QueryDict | None:
    """The answers kept for this request's path, once: taking them removes them. None when there are none, when
    they are for another form, another user, or older than STASH_SECONDS (those are dropped)."""
    stash = request.session.get(STASH_SESSION_KEY)
    if stash is None:
        return None
    if not _live(request, stash):
        request.session.pop(STASH_SESSION_KEY, None)
        return None
    if stash.get("path") != request.path:
        return None
    request.session.pop(STASH_SESSION_KEY, None)
    data = QueryDict(mutable=True)
    for key, values in stash["data"].items():
        if isinstance(key, str) and isinstance(values, list):
            data.setlist(key, [str(v) for v in values])
    return data
