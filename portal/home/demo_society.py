"""A demo society at scale: `seed_demo --members N` beyond the story's members (portal/home/management/commands/
seed_demo.py), generated and written through the bulk paths.

Two phases, around the story's own seeds:
1. before them, the generated members and their years of check-off savings (members/demo_bulk.py,
   contributions/demo_bulk.py), a batch of members per transaction — so the story's running costs are sized on
   the whole membership, as they are for a real society;
2. after the story's loans (whose month-by-month daily job must not walk a book that did not exist then), the
   generated members' loan book (loans/demo_bulk.py), then the daily loan job over it, the committee-decided
   states through their services, and the provision.

Idempotent: members are found by email; a member written in phase 1 gets their loans in phase 2 of the same run."""

import multiprocessing
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import connection, connections, transaction
from django.utils import timezone

from portal.contributions.demo_bulk import SavingsPlan, savings_bulk_seed
from portal.finance.banking.services import bank_account_primary
from portal.finance.bulk_insert import rows_prepare, rows_write
from portal.finance.journal_rows import JournalRows, journal_accounts
from portal.finance.ledger.chain import chain_head
from portal.loans.demo_bulk import BookRows, LoanBook, provision_seed, rare_states_seed
from portal.loans.jobs import loans_classify, loans_daily
from portal.members.demo import DEMO_PASSWORD
from portal.members.demo_bulk import (
    GeneratedMember,
    generated_existing,
    generated_members_plan,
    generated_members_rows,
    generated_numbers_reserve,
    members_group_id,
)

BATCH = 2500  # members per transaction


@dataclass
class Generated:
    """What phase 1 created and hands to phase 2."""

    members: list[GeneratedMember] = field(default_factory=list)
    timelines: dict = field(default_factory=dict)
    entries: int = 0


def _analyze() -> None:
    """Fresh planner statistics after a bulk load, as autovacuum would give them a while later.

    Also after each phase's first batch: PostgreSQL plans the deferred foreign-key checks of a session once and
    keeps the plan, so a table that was empty when first checked (the loans, before the loan book) is scanned
    whole for every row that points at it — quadratic, minutes at 100,000 members. New statistics make it replan
    with the index."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


# What a batch is prepared from (the run's terms, read from the database before the worker starts); in a worker
# process, its own copy, with the chain's head it has reached so far.
_context: dict = {}
_inherited: list = []


def _worker_start(context: dict) -> None:
    """In the worker process, forked with the parent's database connections, sockets included. They are set aside,
    never used and never closed — closing one would end the parent's session on the shared socket; the worker
    ends by os._exit, without closing them. The worker makes no query."""
    for alias_connection in connections.all(initialized_only=True):
        _inherited.append(alias_connection.connection)
        alias_connection.connection = None
    _context.clear()
    _context.update(context)


def _ahead(items: list, prepare: Callable, *, context: dict) -> Iterator:
    """`prepare(item)` for each item, in order, one ahead: while the database writes and commits one batch, the
    next is built. `prepare` must not touch the database; it reads `_context`.

    On PostgreSQL outside a transaction (the command) the worker is a forked process, so that building the next
    batch and sending this one do not take turns on one interpreter lock; otherwise (SQLite, or inside a test's
    transaction) a thread."""
    if not items:
        return
    _context.clear()
    _context.update(context)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_worker_start,
            initargs=(context,),
        )
    else:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="seed-ahead")
    with pool:
        future = pool.submit(prepare, items[0])
        for following in [*items[1:], None]:
            ready = future.result()
            if following is not None:
                future = pool.submit(prepare, following)
            yield ready


def _batches(items: list) -> list[list]:
    return [items[start : start + BATCH] for start in range(0, len(items), BATCH)]


def _written(records: list) -> None:
    for prepared in records:
        rows_write(prepared)


def _journal_ready(journal: JournalRows) -> None:
    """Spell the batch's journal (and its chain links, from the head the previous batch reached) for PostgreSQL."""
    if _context["postgres"]:
        _context["head"] = journal.prepare(head=_context["head"])
        journal.lines, journal.keys = [], set()  # spelled: the text is what flush writes; a worker sends back less


def _savings_batch(batch: list[GeneratedMember]) -> tuple:
    """One batch of phase 1, built without the database (in the worker)."""
    c = _context
    journal = JournalRows(accounts=c["accounts"])
    people = generated_members_rows(plans=batch, password_hash=c["password_hash"], group_id=c["group_id"])
    timelines, records = savings_bulk_seed(plans=batch, terms=c["terms"], journal=journal, seed=c["seed"])
    _journal_ready(journal)
    return journal, timelines, [rows_prepare(model, rows, postgres=c["postgres"]) for model, rows in people + records]


def society_members_seed(*, count: int, years: int, seed: int = 2026, say=print) -> Generated:
    """Phase 1: `count` generated members (those missing) with their savings history."""
    generated = Generated()
    if count <= 0:
        return generated
    today = timezone.localdate()
    started = time.perf_counter()
    existing = generated_existing()
    todo = [
        p for p in generated_members_plan(count=count, years=years, today=today, seed=seed) if p.email not in existing
    ]
    if not todo:
        return generated
    with transaction.atomic():
        generated_numbers_reserve(plans=todo)
    context = {
        "password_hash": make_password(DEMO_PASSWORD),  # once: hashing is the slow part of creating a user
        "terms": SavingsPlan(bank=bank_account_primary(), today=today),
        "accounts": journal_accounts(),
        "group_id": members_group_id(),
        "seed": seed,
        "postgres": connection.vendor == "postgresql",
        "head": chain_head(),
    }
    batches = _batches(todo)
    for number, (journal, timelines, prepared) in enumerate(_ahead(batches, _savings_batch, context=context)):
        with transaction.atomic():
            _written(prepared[:3])  # users, their group, members: before the entries that name them
            generated.entries += journal.flush()
            _written(prepared[3:])
        if not number:
            _analyze()
        generated.members += batches[number]
        generated.timelines.update(timelines)
        say(
            f"  {len(generated.members):,} of {len(todo):,} members, {generated.entries:,} entries "
            f"({time.perf_counter() - started:.0f} s)"
        )
    _analyze()
    return generated


def _loans_batch(batch: list[GeneratedMember]) -> tuple:
    """One batch of phase 2's loan book, built without the database (in the worker)."""
    c = _context
    book: LoanBook = c["book"]
    book.guarantors = batch
    journal, rows = JournalRows(accounts=c["accounts"]), BookRows()
    for member in batch:
        book.plan(member=member, timeline=c["timelines"].get(member.id, []), rows=rows, journal=journal)
    _journal_ready(journal)
    prepared = [rows_prepare(model, rows, postgres=c["postgres"]) for model, rows in rows.records()]
    return len(rows.loans), journal, prepared, book.rare


def society_loans_seed(*, generated: Generated, seed: int = 2026, say=print) -> dict:
    """Phase 2: the loan book of the members phase 1 created, then the daily job, the committee's decisions and
    the provision. Returns counts for the summary."""
    if not generated.members:
        return {}
    today = timezone.localdate()
    started = time.perf_counter()
    bank = bank_account_primary()
    context = {
        "book": LoanBook(today=today, bank=bank, seed=seed),
        "timelines": generated.timelines,
        "accounts": journal_accounts(),
        "postgres": connection.vendor == "postgresql",
        "head": chain_head(),
    }
    loans = entries = 0
    rare: dict = {}
    for number, (written, journal, prepared, rare_so_far) in enumerate(
        _ahead(_batches(generated.members), _loans_batch, context=context)
    ):
        rare = rare_so_far  # the loans for the committee's states, as the worker's book has collected them
        with transaction.atomic():
            entries += journal.flush()
            _written(prepared)
        loans += written
        if not number:
            _analyze()
    say(f"  {loans:,} loans written ({entries:,} entries) in {time.perf_counter() - started:.0f} s")
    _analyze()
    started = time.perf_counter()
    job = loans_daily(today=today)
    say(
        f"  daily loan job over the book: {job.interest_posted:,} interest, {job.penalties_posted:,} penalties, "
        f"{job.reclassified:,} reclassified ({time.perf_counter() - started:.0f} s)"
    )
    started = time.perf_counter()
    done = rare_states_seed(rare=rare, today=today, bank=bank)
    loans_classify(today=today)
    provision_seed(today=today)
    say(
        f"  restructured {done['restructure']}, written off {done['write_off']}, topped up {done['top_up']} "
        f"through their services ({time.perf_counter() - started:.0f} s)"
    )
    return {"loans": loans, "entries": entries, **done}
