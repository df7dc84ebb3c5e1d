"""seed_demo's bulk phases as the command runs them on PostgreSQL — outside a transaction — build each next batch in
a forked worker process (portal/home/demo_society.py) while the database writes the current one: the worker spells
the rows, the entries and the chain links; the books it leaves tie, the chain recomputes, and the parent's database
session survives the worker."""

import pytest
from django.core.management import call_command

from portal.finance import journal_rows
from portal.finance.ledger.chain import chain_problems
from portal.home import demo_society
from portal.loans.invariants import loan_book_problems
from portal.loans.models import Loan
from portal.members.demo_bulk import GENERATED_DOMAIN
from portal.members.models import Member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_batches_built_in_a_worker_process_leave_tied_books_and_an_intact_chain(monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(demo_society, "BATCH", 25)  # several batches, so the worker runs ahead of the writes
    pools = []

    class CountedPool(demo_society.ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            pools.append(kwargs["mp_context"].get_start_method())
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(demo_society, "ProcessPoolExecutor", CountedPool)
    relinked = []
    original = journal_rows.chain_extend
    monkeypatch.setattr(
        journal_rows, "chain_extend", lambda head, entries: relinked.append(entries) or original(head, entries)
    )

    call_command("seed_demo", members=80, story=0, years=3)

    assert pools == ["fork", "fork"]  # the savings phase and the loan book, each with its worker process
    assert relinked == []  # every batch's chain links were the worker's, spelled from the head it expected
    assert Member.objects.filter(user__email__endswith=f"@{GENERATED_DOMAIN}").count() == 80
    assert Loan.objects.filter(member__user__email__endswith=f"@{GENERATED_DOMAIN}").exists()
    assert chain_problems() == []
    assert loan_book_problems() == []
    call_command("ledger_check")  # balanced entries, trial balance, savings summaries, loan book
