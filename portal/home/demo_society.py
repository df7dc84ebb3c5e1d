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

import time
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from portal.contributions.demo_bulk import SavingsPlan, savings_bulk_seed
from portal.finance.banking.services import bank_account_primary
from portal.finance.bulk_insert import rows_insert
from portal.finance.journal_rows import JournalRows
from portal.loans.demo_bulk import BookRows, LoanBook, provision_seed, rare_states_seed
from portal.loans.jobs import loans_classify, loans_daily
from portal.members.demo import DEMO_PASSWORD
from portal.members.demo_bulk import (
    GeneratedMember,
    generated_existing,
    generated_members_plan,
    generated_members_rows,
)

BATCH = 2500  # members per transaction


@dataclass
class Generated:
    """What phase 1 created and hands to phase 2."""

    members: list[GeneratedMember] = field(default_factory=list)
    timelines: dict = field(default_factory=dict)
    entries: int = 0


def _analyze() -> None:
    """Fresh planner statistics after a bulk load, as autovacuum would give them a while later."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


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
    password_hash = make_password(DEMO_PASSWORD)  # once: hashing is the slow part of creating a user
    terms = SavingsPlan(bank=bank_account_primary(), today=today)
    for start in range(0, len(todo), BATCH):
        batch = todo[start : start + BATCH]
        with transaction.atomic():
            for model, rows in generated_members_rows(plans=batch, password_hash=password_hash):
                rows_insert(model, rows)
            journal = JournalRows()
            timelines, write = savings_bulk_seed(plans=batch, terms=terms, journal=journal, seed=seed)
            generated.entries += journal.flush()
            write()
        generated.members += batch
        generated.timelines.update(timelines)
        say(
            f"  {len(generated.members):,} of {len(todo):,} members, {generated.entries:,} entries "
            f"({time.perf_counter() - started:.0f} s)"
        )
    _analyze()
    return generated


def society_loans_seed(*, generated: Generated, seed: int = 2026, say=print) -> dict:
    """Phase 2: the loan book of the members phase 1 created, then the daily job, the committee's decisions and
    the provision. Returns counts for the summary."""
    if not generated.members:
        return {}
    today = timezone.localdate()
    started = time.perf_counter()
    bank = bank_account_primary()
    book = LoanBook(today=today, bank=bank, seed=seed)
    loans = entries = 0
    for start in range(0, len(generated.members), BATCH):
        batch = generated.members[start : start + BATCH]
        book.guarantors = batch
        with transaction.atomic():
            journal, rows = JournalRows(), BookRows()
            for member in batch:
                book.plan(member=member, timeline=generated.timelines.get(member.id, []), rows=rows, journal=journal)
            loans += len(rows.loans)
            entries += journal.flush()
            rows.write()
    say(f"  {loans:,} loans written ({entries:,} entries) in {time.perf_counter() - started:.0f} s")
    _analyze()
    started = time.perf_counter()
    job = loans_daily(today=today)
    say(
        f"  daily loan job over the book: {job.interest_posted:,} interest, {job.penalties_posted:,} penalties, "
        f"{job.reclassified:,} reclassified ({time.perf_counter() - started:.0f} s)"
    )
    started = time.perf_counter()
    done = rare_states_seed(rare=book.rare, today=today, bank=bank)
    loans_classify(today=today)
    provision_seed(today=today)
    say(
        f"  restructured {done['restructure']}, written off {done['write_off']}, topped up {done['top_up']} "
        f"through their services ({time.perf_counter() - started:.0f} s)"
    )
    return {"loans": loans, "entries": entries, **done}
