"""The journal's hash chain (issue 18): every posting path links each entry, in posting order, to the one before it;
`ledger_check` recomputes the chain and names a tampered entry; each month's last hash is available for the AGM
pack; links are immutable; concurrent postings on PostgreSQL get a gapless sequence."""

import datetime
import importlib
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.urls import reverse

from portal.finance.journal_rows import JournalRows
from portal.finance.ledger.chain import GENESIS, chain_head, chain_problems, link_hash
from portal.finance.ledger.models import ChainLink, JournalEntry, JournalLine
from portal.finance.ledger.selectors import chain_month_ends
from portal.finance.ledger.services import (
    BulkPosting,
    Line,
    Posting,
    ledger_post,
    ledger_post_bulk,
    ledger_post_many,
    ledger_reverse,
    lines_content_hash,
)
from portal.members import roles
from tests.conftest import sign_in_verified
from tests.factories import run_together

pytestmark = pytest.mark.django_db
D = Decimal
Z = D("0.00")


def _lines(member, amount="100.00"):
    return [Line("1010", debit=D(amount)), Line("2000", credit=D(amount), member_id=member.pk)]


def _post(member, key, amount="100.00"):
    return ledger_post(memo=f"Deposit {key}", lines=_lines(member, amount), idempotency_key=key).entry


def _every_path(member):
    """One or more entries through each posting path, in this order; returns their ids."""
    ids = [_post(member, "single:1").pk]
    ids.append(ledger_reverse(entry=JournalEntry.objects.get(pk=ids[0])).entry.pk)
    many = ledger_post_many(postings=[Posting(f"Many {n}", _lines(member), f"many:{n}") for n in range(2)])
    ids += [r.entry.pk for r in many]
    bulk = ledger_post_bulk(
        postings=[
            BulkPosting(
                f"bulk:{n}",
                f"Bulk {n}",
                (("1010", D("5.00"), Z, None, None, ""), ("4000", Z, D("5.00"), None, None, "")),
            )
            for n in range(2)
        ]
    )
    ids += [entry_id for entry_id, _ in bulk]
    journal = JournalRows()
    for n in range(2):
        ids.append(
            journal.add(
                key=f"seed:{n}",
                date=datetime.date(2024, 1, 31),
                memo="Seeded",
                source="seed",
                lines=[("1010", D("7.00"), Z, None, None, "x"), ("4000", Z, D("7.00"), None, None, "y")],
            )
        )
    journal.flush()
    return ids


def _guard(table, *, on: bool):
    """Set a table's immutability trigger aside (on=False) or put it back, as only a test (or an attacker with the
    database owner's rights) can."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE waits for no deferred balance check of this transaction: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} {'ENABLE' if on else 'DISABLE'} TRIGGER {table}_immutable")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        elif on:
            cursor.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN "
                "SELECT RAISE(ABORT, 'posted journal rows are immutable: post a reversal instead'); END;"
            )
        else:
            cursor.execute(f"DROP TRIGGER {table}_no_update")


def _tamper(sql, params, *tables):
    for table in tables:
        _guard(table, on=False)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    for table in tables:
        _guard(table, on=True)


def _entry_pk(pk):
    return pk.hex if connection.vendor == "sqlite" else pk


def test_every_posting_path_links_its_entries_in_posting_order_without_gaps(member, capsys):
    ids = _every_path(member)
    links = list(ChainLink.objects.order_by("sequence"))
    assert [link.sequence for link in links] == list(range(1, 9))
    assert [link.entry_id for link in links] == ids
    assert links[0].previous_hash == GENESIS
    assert all(later.previous_hash == earlier.hash for earlier, later in zip(links, links[1:], strict=False))
    assert all(later.linked_at >= earlier.linked_at for earlier, later in zip(links, links[1:], strict=False))
    # The first link's hash, spelled out: the entry's fields and its lines' hash.
    entry = JournalEntry.objects.get(pk=ids[0])
    assert links[0].hash == link_hash(
        sequence=1,
        previous_hash=GENESIS,
        linked_at=links[0].linked_at,
        entry_id=entry.pk,
        date=entry.date,
        memo="Deposit single:1",
        source="",
        idempotency_key="single:1",
        reversal_of_id=None,
        posted_by_id=None,
        posted_at=entry.posted_at,
        lines_hash=lines_content_hash([("1010", None, None, D("100"), Z), ("2000", member.pk, None, Z, D("100"))]),
    )
    assert chain_problems() == []
    assert chain_problems(chunk_size=3) == []  # streamed in chunks: the same verdict
    call_command("ledger_check")
    out = capsys.readouterr().out
    assert f"Journal chain OK: 8 link(s), every hash recomputed; last {links[-1].hash}." in out


def test_a_repeat_posts_no_link(member):
    _post(member, "k")
    _post(member, "k")
    ledger_post_many(postings=[Posting("again", _lines(member), "k")])
    assert ChainLink.objects.count() == 1 and chain_head().sequence == 1


def test_a_changed_amount_is_named_even_when_the_entry_still_balances(member):
    _post(member, "a")
    victim = _post(member, "b")
    _post(member, "c")
    _tamper(
        "UPDATE finance_journalline SET debit = CASE WHEN debit > 0 THEN 90 ELSE 0 END, "
        "credit = CASE WHEN credit > 0 THEN 90 ELSE 0 END WHERE entry_id = %s",
        [_entry_pk(victim.pk)],
        "finance_journalline",
    )
    problems = chain_problems()
    assert problems == [
        f"journal chain: link 2, entry {victim.pk} ({victim.date} Deposit b, key b) no longer matches its hash: the "
        "entry, its lines or its link were changed after posting"
    ]
    with pytest.raises(CommandError, match="1 ledger problem"):
        call_command("ledger_check")


def test_a_changed_memo_is_named(member, capsys):
    victim = _post(member, "a")
    _tamper(
        "UPDATE finance_journalentry SET memo = 'Nothing to see' WHERE id = %s",
        [_entry_pk(victim.pk)],
        "finance_journalentry",
    )
    with pytest.raises(CommandError):
        call_command("ledger_check")
    assert f"link 1, entry {victim.pk}" in capsys.readouterr().err


def test_a_chain_rewritten_to_hide_a_change_no_longer_gives_the_hash_printed_at_the_agm(member):
    first = _post(member, "a")
    _post(member, "b")
    printed = chain_head()  # what the AGM pack printed: 2:<hash>
    call_command("ledger_check", hash=[f"{printed.sequence}:{printed.hash}"])
    # Someone with the database owner's rights changes entry 1 and recomputes every link after it.
    _tamper(
        "UPDATE finance_journalentry SET memo = 'Rewritten' WHERE id = %s",
        [_entry_pk(first.pk)],
        "finance_journalentry",
    )
    previous = GENESIS
    for link in ChainLink.objects.select_related("entry").order_by("sequence"):
        entry = link.entry
        lines = entry.lines.values_list("account__code", "member_id", "loan_id", "debit", "credit")
        digest = link_hash(
            sequence=link.sequence,
            previous_hash=previous,
            linked_at=link.linked_at,
            entry_id=entry.pk,
            date=entry.date,
            memo=entry.memo,
            source=entry.source,
            idempotency_key=entry.idempotency_key,
            reversal_of_id=entry.reversal_of_id,
            posted_by_id=entry.posted_by_id,
            posted_at=entry.posted_at,
            lines_hash=lines_content_hash(lines),
        )
        _tamper(
            "UPDATE finance_chainlink SET previous_hash = %s, hash = %s WHERE sequence = %s",
            [previous, digest, link.sequence],
            "finance_chainlink",
        )
        previous = digest
    assert chain_problems() == []  # consistent on its own...
    assert chain_problems(expect={printed.sequence: printed.hash}) == [
        "journal chain: link 2 no longer has the hash given (the books changed before it)"
    ]  # ...but not with what members were shown
    with pytest.raises(CommandError):
        call_command("ledger_check", hash=[f"{printed.sequence}:{printed.hash}"])
    with pytest.raises(CommandError, match="SEQUENCE:HASH"):
        call_command("ledger_check", hash=["2:short"])


def test_a_missing_link_is_a_gap_and_an_unlinked_entry(member):
    _post(member, "a")
    middle = _post(member, "b")
    _post(member, "c")
    if connection.vendor == "postgresql":
        _guard("finance_chainlink", on=False)
    ChainLink.objects.filter(sequence=2).delete()
    if connection.vendor == "postgresql":
        _guard("finance_chainlink", on=True)
    problems = chain_problems()
    assert problems[0] == "journal chain: links 2–2 are missing"
    assert problems[1] == "journal chain: link 3 does not follow link 1's hash"
    assert problems[2] == f"journal chain: 1 entry has no link, e.g. entry {middle.pk} ({middle.date} Deposit b)"


def test_links_are_immutable(member):
    _post(member, "a")
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        ChainLink.objects.filter(sequence=1).update(hash="0" * 64)
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic():
            ChainLink.objects.filter(sequence=1).delete()
    assert ChainLink.objects.get(sequence=1).hash != "0" * 64


def test_the_migration_backfill_builds_the_chain_the_services_build(member):
    backfill = importlib.import_module("portal.finance.migrations.0018_journal_hash_chain").links_backfill
    for key in ("a", "b", "c"):
        _post(member, key)
    before = list(ChainLink.objects.order_by("sequence").values_list("sequence", "entry_id", "previous_hash", "hash"))
    if connection.vendor == "postgresql":
        _guard("finance_chainlink", on=False)
    ChainLink.objects.all().delete()
    if connection.vendor == "postgresql":
        _guard("finance_chainlink", on=True)
    assert backfill(JournalEntry, JournalLine, ChainLink) == 3
    after = list(ChainLink.objects.order_by("sequence").values_list("sequence", "entry_id", "previous_hash", "hash"))
    assert after == before
    assert chain_problems() == []
    with pytest.raises(RuntimeError, match="must be empty"):
        backfill(JournalEntry, JournalLine, ChainLink)


def test_each_months_last_hash_is_the_last_link_chained_by_its_end(member, clock_at):
    def post(day, key, date=None):
        clock_at(day)
        return ledger_post_many(postings=[Posting(key, _lines(member), key, date=date)])[0].entry

    post(datetime.date(2025, 1, 10), "jan-1")
    post(datetime.date(2025, 1, 31), "jan-2")
    # Posted in March but dated in February: it is in March's hash, not February's.
    post(datetime.date(2025, 3, 2), "mar-1", date=datetime.date(2025, 2, 28))
    clock_at(datetime.date(2025, 3, 20))
    links = {link.entry.idempotency_key: link for link in ChainLink.objects.select_related("entry")}
    rows = chain_month_ends(year=2025)
    assert [(r.month, r.sequence, r.hash, r.closed) for r in rows] == [
        (datetime.date(2025, 1, 31), 2, links["jan-2"].hash, True),
        (datetime.date(2025, 2, 28), 2, links["jan-2"].hash, True),
        (datetime.date(2025, 3, 31), 3, links["mar-1"].hash, False),
    ]
    assert [(r.sequence, r.hash) for r in chain_month_ends(year=2024)][-1] == (None, None)
    assert len(chain_month_ends(year=2024)) == 12


@pytest.mark.parametrize(("role", "allowed"), [(roles.TREASURER, True), (roles.AUDITORS, True), (roles.CLERKS, False)])
def test_the_admin_page_shows_the_month_end_hashes(client, member, staff_user, role, allowed):
    _post(member, "a")
    head = chain_head()
    sign_in_verified(client, staff_user(role))
    response = client.get(reverse("finance_journal_chain"), {"year": timezone_year()})
    if allowed:
        assert response.status_code == 200 and head.hash in response.content.decode()
        assert client.get(reverse("finance_journal_chain"), {"year": "abc"}).status_code == 200
    else:
        assert response.status_code in (302, 403)


def timezone_year():
    from django.utils import timezone

    return timezone.localdate().year


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_postings_get_a_gapless_chain_on_postgresql(member):
    def single(n):
        return lambda: _post(member, f"race:{n}", amount="1.00")

    def many(n):
        return lambda: ledger_post_many(
            postings=[Posting(f"m{n}", _lines(member, "2.00"), f"race-many:{n}:{i}") for i in range(3)]
        )

    def bulk(n):
        return lambda: ledger_post_bulk(
            postings=[
                BulkPosting(
                    f"race-bulk:{n}",
                    "b",
                    (("1010", D("3.00"), Z, None, None, ""), ("4000", Z, D("3.00"), None, None, "")),
                )
            ]
        )

    def repeat():
        return _post(member, "race:0", amount="1.00")  # the same key as single(0): posted once

    _, errors = run_together(
        [single(n) for n in range(12)] + [many(n) for n in range(4)] + [bulk(n) for n in range(4)] + [repeat] * 4
    )
    assert errors == []
    assert JournalEntry.objects.count() == 12 + 12 + 4
    assert list(ChainLink.objects.order_by("sequence").values_list("sequence", flat=True)) == list(range(1, 29))
    assert chain_problems() == []
    assert connection.vendor == "postgresql"


def test_the_chain_costs_two_queries_a_posting_and_two_a_bulk_file(member):
    from django.test.utils import CaptureQueriesContext

    def chain_queries(post):
        with CaptureQueriesContext(connection) as queries:
            post()
        return [q["sql"] for q in queries.captured_queries if "chain" in q["sql"].lower()]

    _post(member, "first")
    assert len(chain_queries(lambda: _post(member, "second"))) == 2
    lines = (("1010", D("5.00"), Z, None, None, ""), ("4000", Z, D("5.00"), None, None, ""))
    bulk = [BulkPosting(f"file:{n}", "File", lines) for n in range(120)]
    # On PostgreSQL the links go by COPY, which the query log does not show: the head's query alone is seen.
    assert 1 <= len(chain_queries(lambda: ledger_post_bulk(postings=bulk))) <= 2
    assert chain_head().sequence == 122 and chain_problems() == []
