"""The ledger's invariants that belong to other apps, which `manage.py ledger_check` runs without importing them.

Finance sits below contributions and loans (issue 13): it keeps the journal, and cannot name the savings summaries
or the loan book. Each app that keeps a sub-ledger registers, in its AppConfig.ready(), a check that its records
and the control accounts agree:

    invariants.register("loan book = 1100, 1110, 1120", loan_book_problems)

A check takes no arguments and returns its problems as sentences (an empty list when all is well). `ledger_check`
runs them in the order they were registered — INSTALLED_APPS order, as Django calls ready() — between its own
checks of the journal (balanced entries, trial balance) and of line dates.
"""

from collections.abc import Callable

Invariant = Callable[[], list[str]]

_registry: dict[str, Invariant] = {}


def register(name: str, check: Invariant) -> None:
    """Add a check under a name of its own. The same check under the same name again is a no-op; another check under
    a name already taken is refused, so two apps cannot replace each other's check unnoticed."""
    existing = _registry.get(name)
    if existing is not None and existing is not check:
        raise ValueError(f"A ledger invariant named {name!r} is already registered.")
    _registry[name] = check


def registered() -> dict[str, Invariant]:
    return dict(_registry)


def invariant_problems() -> list[str]:
    """Every registered check's problems, in registration order."""
    problems: list[str] = []
    for check in _registry.values():
        problems += check()
    return problems
