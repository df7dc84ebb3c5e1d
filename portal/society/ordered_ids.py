"""Time-ordered UUIDs (the layout of RFC 9562's version 7) for the rows written most: journal entries and the
payment records that point at them.

A random UUID (version 4) lands anywhere in a primary-key index and in every index of the rows that refer to it,
so each insert touches a different page; at a million entries those pages no longer fit in memory and every
posting reads and writes them again. A version-7 id starts with the time in milliseconds: ids made together sort
together, so a check-off file of 100,000 entries appends to the right-hand edge of each index instead (issue 17).
The remaining 74 bits are random, so an id is still not guessable; nothing may rely on its order for meaning —
the hash chain, not the id, orders the journal.
"""

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last = [0, 0]  # [milliseconds, counter] of the last id made in this process


def ordered_uuid() -> uuid.UUID:
    """A version-7 UUID: 48 bits of Unix time in milliseconds, a 12-bit counter that keeps ids made within one
    millisecond in the order they were made (this process), then 62 random bits."""
    milliseconds = time.time_ns() // 1_000_000
    with _lock:
        if milliseconds > _last[0]:
            _last[0], _last[1] = milliseconds, 0
        else:  # the same millisecond (or the clock stepped back): count on from the last id
            _last[1] += 1
            if _last[1] > 0xFFF:
                _last[0], _last[1] = _last[0] + 1, 0
            milliseconds = _last[0]
        counter = _last[1]
    random_bits = int.from_bytes(os.urandom(8)) & ((1 << 62) - 1)
    value = (milliseconds & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | random_bits
    return uuid.UUID(int=value)
