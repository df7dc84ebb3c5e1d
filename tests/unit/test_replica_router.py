"""The read-replica router (issue 17) on its own, with no replica needed: nothing goes to the replica unless code
opted in with `reads_from_replica()`; writes, and reads inside a transaction on the primary, never do; the opt-in
ends with its block (also on error) and follows only the code that set it. Reads inside a transaction (which needs
a database) and the real replica are in tests/integration/test_read_replica.py."""

import threading

import pytest

from portal.finance.ledger.models import JournalEntry
from portal.members.models import Member
from portal.society.replica import (
    PrimaryReplicaRouter,
    iterate_on_replica,
    reads_from_primary,
    reads_from_replica,
    replica_reads_active,
)

router = PrimaryReplicaRouter()


def test_reads_go_to_the_primary_unless_the_code_opted_in():
    assert router.db_for_read(Member) == "default"
    with reads_from_replica():
        assert router.db_for_read(Member) == "replica"
        assert router.db_for_read(JournalEntry, instance=Member()) == "replica"
    assert router.db_for_read(Member) == "default"


def test_an_object_read_from_the_replica_sends_its_later_lookups_to_the_primary():
    # Without an explicit answer Django would follow the instance hint back to the replica, outside any opt-in.
    from_replica = Member()
    from_replica._state.db = "replica"
    assert router.db_for_read(JournalEntry, instance=from_replica) == "default"


def test_writes_always_go_to_the_primary_and_the_code_then_reads_what_it_wrote():
    assert router.db_for_write(Member) == "default"
    with reads_from_replica():
        assert router.db_for_read(Member) == "replica"
        assert router.db_for_write(Member) == "default"
        assert router.db_for_read(Member) == "default"  # read your writes, for the rest of the block
        assert router.db_for_write(JournalEntry, instance=Member()) == "default"
    with reads_from_replica():
        assert router.db_for_read(Member) == "replica"  # a new block starts on the replica again


def test_a_write_in_a_nested_block_counts_for_the_whole_block():
    with reads_from_replica():
        with reads_from_replica():
            router.db_for_write(Member)
        assert router.db_for_read(Member) == "default"
    with reads_from_replica():
        with reads_from_primary():
            router.db_for_write(Member)  # e.g. a posting, which reads on the primary
        assert router.db_for_read(Member) == "default"


def test_only_the_primary_is_migrated_and_rows_of_both_may_be_related():
    assert router.allow_migrate("default", "members") is True
    assert router.allow_migrate("replica", "members") is False
    one, other = Member(), Member()
    one._state.db, other._state.db = "default", "replica"
    assert router.allow_relation(one, other) is True
    other._state.db = "elsewhere"
    assert router.allow_relation(one, other) is None


def test_the_opt_in_ends_with_its_block_even_on_error_and_nests():
    with pytest.raises(RuntimeError):
        with reads_from_replica():
            with reads_from_replica():
                assert replica_reads_active()
            assert replica_reads_active()
            raise RuntimeError("report failed")
    assert not replica_reads_active()


def test_code_whose_reads_decide_its_writes_can_keep_them_on_the_primary_inside_a_report():
    """The ledger's posting functions are marked so (the integration test checks a posting's queries)."""
    with reads_from_replica():
        with reads_from_primary():
            assert router.db_for_read(Member) == "default"
        assert router.db_for_read(Member) == "replica"


def test_as_a_decorator():
    @reads_from_replica()
    def build():
        return router.db_for_read(Member)

    assert build() == "replica"
    assert build() == "replica"  # a fresh context each call
    assert router.db_for_read(Member) == "default"


def test_the_opt_in_does_not_leak_into_other_threads():
    seen = []
    with reads_from_replica():
        thread = threading.Thread(target=lambda: seen.append(router.db_for_read(Member)))
        thread.start()
        thread.join()
    assert seen == ["default"]


def test_a_streamed_download_reads_each_row_on_the_replica_but_nothing_else_does():
    """The rows of a streamed CSV are read after the view returned: each step is inside the opt-in, and the code
    between steps (the server writing to the socket) is not."""
    during = []

    def rows():
        for n in range(3):
            during.append(router.db_for_read(Member))
            yield n

    between = []
    for _ in iterate_on_replica(rows()):
        between.append(router.db_for_read(Member))
    assert during == ["replica"] * 3
    assert between == ["default"] * 3
    assert not replica_reads_active()
