"""Issue 17: journal entries and payment records take time-ordered ids (RFC 9562 version 7), so ids made together
sort together in every index; they stay unique and carry enough randomness not to be guessed."""

import time
import uuid

from portal.society.ordered_ids import ordered_uuid


def test_an_ordered_id_is_a_version_7_uuid_carrying_the_time():
    before = time.time_ns() // 1_000_000
    made = ordered_uuid()
    after = time.time_ns() // 1_000_000
    assert made.version == 7
    assert made.variant == uuid.RFC_4122
    assert before <= made.int >> 80 <= after + 1  # the first 48 bits: Unix time in milliseconds


def test_ids_made_one_after_another_sort_in_the_order_made_and_never_repeat():
    made = [ordered_uuid() for _ in range(20000)]  # many within one millisecond: the counter orders them
    assert made == sorted(made)
    assert [str(u) for u in made] == sorted(str(u) for u in made)  # as text too (PostgreSQL compares bytes)
    assert len(set(made)) == len(made)


def test_the_random_part_differs_between_ids_of_the_same_millisecond():
    first, second = ordered_uuid(), ordered_uuid()
    random_mask = (1 << 62) - 1
    assert first.int & random_mask != second.int & random_mask
