"""The journal's hash chain (issue 18): every entry gets a `ChainLink` in its posting transaction.

A link's hash is SHA-256 over a canonical text (a JSON array) of: the link's sequence, the previous link's hash
(`GENESIS`, 64 zeros, before the first), the time it was chained, and the entry's id, date, memo, source,
idempotency key, reversal_of, posted_by, posted_at and the hash of its lines (`hashing.lines_content_hash`: account,
member, loan, debit, credit of every line). Changing any of them, or removing or reordering entries, breaks the
link's hash and, through `previous_hash`, every link after it; `ledger_check` recomputes the whole chain from the
entries and lines (`chain_problems`), and the AGM pack prints each month's last hash (`selectors.chain_month_ends`).

Writing: each posting path calls `chain_lock()` first inside its transaction and `chain_extend(head, rows)` once its
entries and lines are written. On PostgreSQL `chain_lock` takes a transaction-level advisory lock and reads the
chain's head in one round trip (the function of finance migration 0017; each of its statements sees what committed
before the lock was granted), so concurrent postings get consecutive sequences; the lock is held until the posting's
transaction ends. Taking it before the journal insert means whoever holds an uncommitted journal row holds the lock
too, so two postings racing for one idempotency key never wait on each other in opposite orders. On SQLite the
database's single write lock (transactions begin IMMEDIATE, settings) already serialises writers: `chain_lock` does
nothing and the head is read after the journal insert.
Per posting: one query for the lock and head (PostgreSQL; on SQLite one for the head), one for the links."""

import datetime
import hashlib
import json
import json.encoder
from collections import defaultdict
from typing import NamedTuple

from django.db import DEFAULT_DB_ALIAS, connections

from portal.finance.bulk_insert import rows_insert

from .hashing import lines_content_hash
from .models import ChainLink, JournalEntry, JournalLine

GENESIS = "0" * 64
PROBLEMS_SHOWN = 20
# json.dumps(fields, ensure_ascii=False, separators=(",", ":")) of a list of strings, spelled for speed (100,000
# links a check-off file): the C string encoder json.dumps itself uses, without building an encoder per call.
_quoted = json.encoder.encode_basestring


class ChainHead(NamedTuple):
    sequence: int  # 0 before the first link
    hash: str
    linked_at: datetime.datetime | None


EMPTY = ChainHead(0, GENESIS, None)


_instants: dict = {}


def _instant(value: datetime.datetime) -> str:
    # A bulk posting stamps every entry with one time: spell each time once.
    text = _instants.get(value)
    if text is None:
        if len(_instants) > 1000:
            _instants.clear()
        text = _instants[value] = value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return text


def _text(value) -> str:
    return "" if value is None else str(value)


def link_hash(
    *,
    sequence: int,
    previous_hash: str,
    linked_at: datetime.datetime,
    entry_id,
    date,
    memo: str,
    source: str,
    idempotency_key: str,
    reversal_of_id,
    posted_by_id,
    posted_at: datetime.datetime,
    lines_hash: str,
) -> str:
    """The link's SHA-256, hex. The canonical text is a JSON array of strings (so no field can run into the next);
    times in UTC to the microsecond. docs/ledger.md spells it out for anyone checking the books with other tools."""
    fields = (
        "portal-journal-v1",
        str(sequence),
        previous_hash,
        _instant(linked_at),
        _text(entry_id),
        _text(date.date() if isinstance(date, datetime.datetime) else date),  # as the DateField keeps it
        memo,
        source,
        idempotency_key,
        _text(reversal_of_id),
        _text(posted_by_id),
        _instant(posted_at),
        lines_hash,
    )
    canonical = "[" + ",".join(map(_quoted, fields)) + "]"
    return hashlib.sha256(canonical.encode()).hexdigest()


def _head_read(using: str | None = None) -> ChainHead:
    links = ChainLink.objects.using(using) if using else ChainLink.objects
    row = links.order_by("-sequence").values_list("sequence", "hash", "linked_at").first()
    return ChainHead(*row) if row else EMPTY


def chain_lock() -> ChainHead | None:
    """Inside the posting's transaction, before it writes the journal: on PostgreSQL, lock the chain until the
    transaction ends and return its head. On SQLite None: `chain_extend` reads the head once the journal insert has
    taken the database's write lock."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT head_sequence, head_hash, head_linked_at FROM finance_chain_head()")
        sequence, digest, linked_at = cursor.fetchone()
    return EMPTY if sequence is None else ChainHead(sequence, digest, linked_at)


def chain_links(head: ChainHead, entries: list[dict]) -> list[dict]:
    """The links that follow `head` for `entries` (dicts of JournalEntry attnames, in posting order; `content_hash`
    is the lines' hash the service computed from the lines it writes)."""
    sequence, previous, linked_at = head
    links = []
    for entry in entries:
        sequence += 1
        posted_at = entry["posted_at"]
        linked_at = posted_at if linked_at is None or posted_at > linked_at else linked_at
        digest = link_hash(
            sequence=sequence,
            previous_hash=previous,
            linked_at=linked_at,
            entry_id=entry["id"],
            date=entry["date"],
            memo=entry["memo"],
            source=entry["source"],
            idempotency_key=entry["idempotency_key"],
            reversal_of_id=entry.get("reversal_of_id"),
            posted_by_id=entry.get("posted_by_id"),
            posted_at=posted_at,
            lines_hash=entry["content_hash"],
        )
        links.append(
            {
                "sequence": sequence,
                "entry_id": entry["id"],
                "previous_hash": previous,
                "hash": digest,
                "linked_at": linked_at,
            }
        )
        previous = digest
    return links


def chain_extend(head: ChainHead | None, entries: list[dict]) -> None:
    """Chain `entries`, just written in this transaction, after `head` (from `chain_lock`; None on SQLite: read now).
    One query for the links (plus one for the head on SQLite)."""
    if not entries:
        return
    links = chain_links(head or _head_read(DEFAULT_DB_ALIAS), entries)
    if len(links) <= 50:
        ChainLink.objects.using(DEFAULT_DB_ALIAS).bulk_create([ChainLink(**link) for link in links])
    else:
        rows_insert(ChainLink, links, batch_size=20000)


def chain_head() -> ChainHead:
    """The last link (sequence 0 and GENESIS before anything is posted)."""
    return _head_read()


def chain_problems(*, chunk_size: int = 5000, expect: dict[int, str] | None = None) -> list[str]:
    """Recompute every link from its entry and lines, in sequence order, `chunk_size` links at a time (a million
    entries never sit in memory). Problems: a gap or a repeat in the sequence, a link whose previous hash is not
    the hash before it, a link whose recomputed hash differs (the entry, its lines or the link was changed — named),
    an entry with no link; and, for each `expect` {sequence: hash} (a hash printed in an AGM pack), a chain that no
    longer produces it. Each link is checked against the hash stored before it, so every tampered entry is named,
    not only the first; the count of the rest is given after PROBLEMS_SHOWN."""
    expect = dict(expect or {})
    problems: list[str] = []
    found = 0

    def problem(text):
        nonlocal found
        found += 1
        if len(problems) < PROBLEMS_SHOWN:
            problems.append(text)

    previous_sequence, previous_hash = 0, GENESIS
    previous_recomputed = GENESIS  # the chain as recomputed from the entries alone, for `expect`
    fields = (
        "sequence",
        "previous_hash",
        "hash",
        "linked_at",
        "entry_id",
        "entry__date",
        "entry__memo",
        "entry__source",
        "entry__idempotency_key",
        "entry__reversal_of_id",
        "entry__posted_by_id",
        "entry__posted_at",
    )
    while True:
        links = list(
            ChainLink.objects.filter(sequence__gt=previous_sequence)
            .order_by("sequence")
            .values_list(*fields)[:chunk_size]
        )
        if not links:
            break
        lines = defaultdict(list)
        for entry_id, *line in JournalLine.objects.filter(
            entry__chain_link__sequence__gt=previous_sequence, entry__chain_link__sequence__lte=links[-1][0]
        ).values_list("entry_id", "account__code", "member_id", "loan_id", "debit", "credit"):
            lines[entry_id].append(line)
        for sequence, stored_previous, stored, linked_at, entry_id, *entry in links:
            if sequence != previous_sequence + 1:
                problem(f"journal chain: links {previous_sequence + 1}–{sequence - 1} are missing")
            if stored_previous != previous_hash:
                problem(f"journal chain: link {sequence} does not follow link {previous_sequence}'s hash")
            date, memo, source, key, reversal_of_id, posted_by_id, posted_at = entry
            content = {
                "entry_id": entry_id,
                "date": date,
                "memo": memo,
                "source": source,
                "idempotency_key": key,
                "reversal_of_id": reversal_of_id,
                "posted_by_id": posted_by_id,
                "posted_at": posted_at,
                "lines_hash": lines_content_hash(lines.get(entry_id, [])),
            }
            recomputed = link_hash(sequence=sequence, previous_hash=stored_previous, linked_at=linked_at, **content)
            if recomputed != stored:
                problem(
                    f"journal chain: link {sequence}, entry {entry_id} ({date} {memo}, key {key}) no longer matches "
                    "its hash: the entry, its lines or its link were changed after posting"
                )
            if previous_recomputed == stored_previous:  # the usual case: the same hash, computed once
                previous_recomputed = recomputed
            else:
                previous_recomputed = link_hash(
                    sequence=sequence, previous_hash=previous_recomputed, linked_at=linked_at, **content
                )
            if sequence in expect and expect.pop(sequence) != previous_recomputed:
                problem(f"journal chain: link {sequence} no longer has the hash given (the books changed before it)")
            previous_sequence, previous_hash = sequence, stored
    for sequence in sorted(expect):
        problem(f"journal chain: there is no link {sequence} to compare with the hash given")
    unlinked = JournalEntry.objects.filter(chain_link__isnull=True)
    count = unlinked.count()
    if count:
        first = unlinked.order_by("posted_at", "date", "id").first()
        problem(
            f"journal chain: {count} entr{'y has' if count == 1 else 'ies have'} no link, e.g. entry {first.pk} "
            f"({first.date} {first.memo})"
        )
    if found > len(problems):
        problems.append(f"journal chain: … and {found - len(problems)} more chain problem(s)")
    return problems
