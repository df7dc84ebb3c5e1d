"""What happens when an approval record's workflow ends: a registry the apps fill in their AppConfig.ready().

The workflows app is generic (review and quorum tasks) and sits below the apps whose records it decides, so it
cannot name them. Each app registers its ApprovalRecord models here instead, with the services that carry out an
approval or a rejection:

    outcomes.register(LoanReview, approved=..., rejected=...)

`approved(record, *, user, reason)` and `rejected(record, *, user, reason)` get the approval record, the user whose
decision ended the workflow and the last task's comment ("No reason given" for a rejection without one). A model
registered without one of them (a statement pack: publishing makes it live) has nothing more to do on that outcome.
Every concrete ApprovalRecord must be registered, even with nothing to do, so a new one cannot end its workflow
silently by omission (tests/integration/test_registries.py).
"""

from collections.abc import Callable
from dataclasses import dataclass

from .records import ApprovalRecord

Outcome = Callable[..., object]


@dataclass(frozen=True)
class ApprovalOutcomes:
    approved: Outcome | None = None
    rejected: Outcome | None = None


_registry: dict[type, ApprovalOutcomes] = {}


def register(model: type, *, approved: Outcome | None = None, rejected: Outcome | None = None) -> None:
    """Say what ending `model`'s workflow does. Registering the model again replaces what it said: Django may run an
    app's ready() more than once (tests that reload the app registry), and its own app is the only one that
    registers a model."""
    if not (isinstance(model, type) and issubclass(model, ApprovalRecord)):
        raise TypeError(f"{model!r} is not an ApprovalRecord: only approval records are decided in a workflow.")
    _registry[model] = ApprovalOutcomes(approved=approved, rejected=rejected)


def outcomes_for(obj) -> ApprovalOutcomes | None:
    """The outcomes registered for this object's model (or the nearest registered base), None when none are."""
    for klass in type(obj).__mro__:
        if klass in _registry:
            return _registry[klass]
    return None


def registered_models() -> list[type]:
    return list(_registry)
