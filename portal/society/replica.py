"""Reports and exports read from a PostgreSQL streaming replica when one is configured (issue 17).

With `DATABASE_REPLICA_URL` set, settings add a `replica` database and `PrimaryReplicaRouter`. Nothing goes to the
replica by default: a read goes there only while code has opted in with `reads_from_replica()` (a context manager
and decorator, kept in a context variable, so it follows the request or task that set it and no other thread), and
even then only when the primary's connection is not inside a transaction. Everything else stays on the primary:

- writes, always (`db_for_write`), and reads the ORM makes *for* a write — `select_for_update()`, `get_or_create`,
  `update_or_create` ask for the write database;
- reads inside `transaction.atomic()` on the primary: they are part of a read-then-write (a balance locked and
  changed, a run recorded), and rows the transaction itself wrote are not on the replica at all;
- every read in an opt-in block after the code in it has written (read your writes: a signal handler that reloads
  the row just saved must find it), and the ledger's posting functions (`reads_from_primary()`: their idempotency
  check decides whether they write);
- everything outside `reads_from_replica()`: member pages, sign-in, permission checks, workflow actions — a member
  who just paid must see the payment, and a decision must be taken on the data it changes.

Who opts in: the report builders of saved and scheduled reports (`reports.saved_reports.report_run`), the financial
statements page, the admin dashboard's figures, background export jobs, and the admin's downloads: every snippet
list's (`society.list_exports`) and those of the report and list pages marked
`society.tabular.downloads_from_replica` (contributions, missing contributions, incomplete share capital, trial
balance, loan portfolio, unreconciled items). A replica replays the primary's WAL a little behind it (normally well
under a second; seconds under heavy load), so those may miss the last moments' postings; they say "as of" the moment
they were built, and none of them writes what it read back to the primary.

Without a replica (SQLite, or no `DATABASE_REPLICA_URL`) the router is not installed and `reads_from_replica()`
changes nothing.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA_DB_ALIAS = "replica"
ROUTER = "portal.society.replica.PrimaryReplicaRouter"


class _OptIn:
    """One `reads_from_replica()` (replica=True) or `reads_from_primary()` (False) block, and whether the code in it
    has written since (then its reads go to the primary: it must read what it wrote)."""

    __slots__ = ("replica", "wrote", "outer")

    def __init__(self, *, replica: bool, outer: "_OptIn | None"):
        self.replica, self.wrote, self.outer = replica, False, outer

    def mark_written(self) -> None:
        block = self
        while block is not None:
            block.wrote = True
            block = block.outer


_opt_in: ContextVar[_OptIn | None] = ContextVar("portal_replica_opt_in", default=None)


@contextmanager
def reads_from_replica():
    """Inside it (or a function it decorates), reads go to the replica, except reads within a transaction on the
    primary and every read after the code in it has written (it must see what it wrote).

    Use it around code that only reads and whose result may be a moment old: building a report or a download.
    A read whose answer decides a write belongs in `transaction.atomic()` (or `reads_from_primary()`)."""
    outer = _opt_in.get()
    if outer is not None and outer.replica:
        yield  # already inside one: the same block (a write in here counts for it)
        return
    token = _opt_in.set(_OptIn(replica=True, outer=outer))
    try:
        yield
    finally:
        _opt_in.reset(token)


@contextmanager
def reads_from_primary():
    """Inside it, reads stay on the primary even within `reads_from_replica()`: for code whose reads decide its
    writes outside a transaction (the ledger's idempotency check), should it ever be called from a report."""
    token = _opt_in.set(_OptIn(replica=False, outer=_opt_in.get()))
    try:
        yield
    finally:
        _opt_in.reset(token)


def replica_reads_active() -> bool:
    """True where reads (outside a primary transaction) go to the replica, if one is configured."""
    block = _opt_in.get()
    return block is not None and block.replica and not block.wrote


def iterate_on_replica(iterable: Iterable) -> Iterator:
    """Iterate `iterable` with each step inside `reads_from_replica()`, for a streamed response whose rows are read
    after the view has returned (a context manager in the view would have ended by then). The flag is set only
    while the next item is produced, never across a `yield`, so nothing else sees it."""
    iterator = iter(iterable)
    while True:
        with reads_from_replica():
            try:
                item = next(iterator)
            except StopIteration:
                return
        yield item


class PrimaryReplicaRouter:
    """`default` is the primary, `replica` a read-only streaming copy of it (see the module's docstring)."""

    def db_for_read(self, model, **hints):
        if replica_reads_active() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return REPLICA_DB_ALIAS
        # Explicitly the primary (not None): an object read from the replica would otherwise send its related
        # lookups there too, outside any opt-in.
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        # Django asks this for every write and for reads made to write (select_for_update, get_or_create):
        # from then on the opt-in block reads on the primary, so it sees what it wrote (a signal handler that
        # reloads the row just saved — Wagtail's reference index does — must find it).
        if (block := _opt_in.get()) is not None:
            block.mark_written()
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # One database, two doors: a row read from the replica may be linked to one read from the primary.
        databases = {DEFAULT_DB_ALIAS, REPLICA_DB_ALIAS}
        if obj1._state.db in databases and obj2._state.db in databases:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica gets its schema by replaying the primary's WAL; migrating it is impossible (read-only).
        return db == DEFAULT_DB_ALIAS
