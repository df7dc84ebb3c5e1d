"""Who may read the audit trail besides superusers: a registry the apps fill in their AppConfig.ready().

The audit app sits below the app that keeps the roles (portal.members) and cannot name its groups (issue 13). The
members app registers the check that says a user holds a role that reads the trail (auditors and administrators):

    readers.register(audit_trail_reader)

A check takes an active, signed-in user and answers True when that user may read the trail. `audit_readable` in
portal/audit/selectors.py asks them all; nobody edits the trail.
"""

from collections.abc import Callable

Reader = Callable[[object], bool]

_registry: list[Reader] = []


def register(check: Reader) -> None:
    """Add a check. The same check again is a no-op (Django may run an app's ready() more than once)."""
    if check not in _registry:
        _registry.append(check)


def registered() -> list[Reader]:
    return list(_registry)
