"""The member dashboard's figures, cached per member (issue 17): the member's savings movements and loan position
are read once and kept in Django's cache (Redis in production, locmem elsewhere) until something that shows on the
dashboard changes. This module sits in the lowest layer so that the ledger, the loans and the members apps can all
say "these members changed" without importing the member area.

Never stale after a change, whatever the TTL: each member has a *generation token* in the cache, and a cached value
is used only if it was computed under the token that is current now. A change deletes the tokens of the members it
touches, at once and again after its transaction commits (transaction.on_commit), in one cache.delete_many each
time. A request that read the database before the commit and stores its (old) figures after it stores them under
the old token, which no reader asks for any more: the next request computes afresh.
The TTL only bounds memory; an evicted token is a miss too.

Callers that know loans rather than members (a ledger line names a loan) pass loan ids: the loans app registers an
expander (`member_figures_expander_register`) that turns them into the borrower and the loan's guarantors (whose
dashboard shows the borrower's balance), so the ledger needs no knowledge of guarantees."""

import uuid
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db import transaction

FIGURES_TTL = 60 * 60  # seconds: bounds memory only; correctness rests on the tokens
_PREFIX = "member-figures"

Expander = Callable[..., Iterable]
_expanders: list[Expander] = []


def member_figures_expander_register(expander: Expander) -> None:
    """`expander(member_ids=set, loan_ids=set)` returns more member ids whose figures change with these."""
    if expander not in _expanders:
        _expanders.append(expander)


def _token_key(member_id) -> str:
    return f"{_PREFIX}:token:{member_id}"


def _value_key(member_id, variant: str) -> str:
    return f"{_PREFIX}:value:{member_id}:{variant}"


def member_figures_get_or_compute(*, member_id, variant: str, compute: Callable[[], object]):
    """The member's cached figures for `variant` (what else they depend on: the day, the language, a setting), or
    `compute()` stored for the next request. One cache round trip on a hit."""
    token_key, value_key = _token_key(member_id), _value_key(member_id, variant)
    found = cache.get_many([token_key, value_key])
    token = found.get(token_key)
    if token is None:
        cache.add(token_key, uuid.uuid4().hex, FIGURES_TTL)
        token = cache.get(token_key)
    else:
        cached = found.get(value_key)
        if cached is not None and cached[0] == token:
            return cached[1]
    value = compute()  # read after the token: a change committed meanwhile has deleted this token already
    if token is not None:
        cache.set(value_key, (token, value), FIGURES_TTL)
    return value


def member_figures_forget(*, member_ids: Iterable = (), loan_ids: Iterable = ()) -> None:
    """Forget now (no transaction wait): the members' tokens, and those the expanders add for the loans."""
    members = {m for m in member_ids if m is not None}
    loans = {m for m in loan_ids if m is not None}
    if loans or members:
        for expander in _expanders:
            members.update(expander(member_ids=members, loan_ids=loans))
    if members:
        cache.delete_many([_token_key(m) for m in members])


def member_figures_invalidate(*, member_ids: Iterable = (), loan_ids: Iterable = ()) -> None:
    """What these members' dashboards show has changed (or will, once the current transaction commits): forget
    their figures now — so that the rest of this transaction (the same request, a test) reads afresh — and again
    after the commit, for a request on another connection that read the old rows meanwhile. One cache call each
    time, however many members."""
    members = tuple({m for m in member_ids if m is not None})
    loans = tuple({m for m in loan_ids if m is not None})
    if members or loans:
        member_figures_forget(member_ids=members, loan_ids=loans)
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(lambda: member_figures_forget(member_ids=members, loan_ids=loans))
