"""The journal's hash chain (issue 18): a `ChainLink` per entry, written by the posting services from now on
(ledger.chain). This migration links the entries already posted, in (posted_at, date, id) order, refuses UPDATE
and DELETE of links as the journal's guards do (0002; TRUNCATE too on PostgreSQL, as 0011), and adds the PostgreSQL
function the services call to lock the chain and read its head in one round trip."""

import datetime
import hashlib
import json
import uuid
from collections import defaultdict
from decimal import Decimal

import django.db.models.deletion
from django.db import migrations, models

GENESIS = "0" * 64
CHUNK = 900  # entry ids per IN list: under SQLite's limit on variables

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION finance_chain_head(
  OUT head_sequence bigint, OUT head_hash varchar, OUT head_linked_at timestamptz
) AS $$
BEGIN
  -- One chain, one writer at a time, until the transaction ends. A VOLATILE function's statements each take a fresh
  -- snapshot (READ COMMITTED), so the head read below includes what the previous lock holder committed.
  PERFORM pg_advisory_xact_lock(1246908492);
  SELECT l.sequence, l.hash, l.linked_at INTO head_sequence, head_hash, head_linked_at
    FROM finance_chainlink l ORDER BY l.sequence DESC LIMIT 1;
END; $$ LANGUAGE plpgsql VOLATILE;
CREATE TRIGGER finance_chainlink_immutable BEFORE UPDATE OR DELETE ON finance_chainlink
  FOR EACH ROW EXECUTE FUNCTION finance_refuse_change();
CREATE TRIGGER finance_chainlink_no_truncate BEFORE TRUNCATE ON finance_chainlink
  FOR EACH STATEMENT EXECUTE FUNCTION finance_refuse_truncate();
"""

PG_REMOVE = """
DROP TRIGGER IF EXISTS finance_chainlink_immutable ON finance_chainlink;
DROP TRIGGER IF EXISTS finance_chainlink_no_truncate ON finance_chainlink;
DROP FUNCTION IF EXISTS finance_chain_head();
"""

SQLITE_GUARD = (
    "CREATE TRIGGER finance_chainlink_no_update BEFORE UPDATE ON finance_chainlink BEGIN "
    "SELECT RAISE(ABORT, 'posted journal rows are immutable: post a reversal instead'); END;"
)


def _id_text(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, uuid.UUID):
        return str(value)
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return str(value)


def _lines_hash(lines) -> str:
    """Frozen copy of ledger.services.lines_content_hash (as 0010 froze it)."""
    canonical = sorted(
        f"{code}|{_id_text(member_id)}|{_id_text(loan_id)}|{Decimal(debit):.2f}|{Decimal(credit):.2f}"
        for code, member_id, loan_id, debit, credit in lines
    )
    return hashlib.sha256("\n".join(canonical).encode()).hexdigest()


def _instant(value) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _text(value) -> str:
    return "" if value is None else str(value)


def _link_hash(sequence, previous, linked_at, entry, lines_hash) -> str:
    """Frozen copy of ledger.chain.link_hash, version portal-journal-v1."""
    entry_id, date, memo, source, key, reversal_of_id, posted_by_id, posted_at = entry
    canonical = json.dumps(
        [
            "portal-journal-v1",
            str(sequence),
            previous,
            _instant(linked_at),
            _text(entry_id),
            _text(date),
            memo,
            source,
            key,
            _text(reversal_of_id),
            _text(posted_by_id),
            _instant(posted_at),
            lines_hash,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def links_backfill(JournalEntry, JournalLine, ChainLink) -> int:
    """Link every entry, on an empty chain, in (posted_at, date, id) order, CHUNK entries at a time (the entries stream
    from one cursor; nothing of the chain is read while it runs). Returns how many were linked. Takes the models so
    that a test can run it on the real ones."""
    if ChainLink.objects.exists():
        raise RuntimeError("links_backfill builds the chain from its start: the chain must be empty")
    sequence, previous, linked_at = 0, GENESIS, None
    entries = (
        JournalEntry.objects.order_by("posted_at", "date", "id")
        .values_list("id", "date", "memo", "source", "idempotency_key", "reversal_of_id", "posted_by_id", "posted_at")
        .iterator(chunk_size=CHUNK)
    )
    linked = 0

    def write(chunk):
        nonlocal sequence, previous, linked_at, linked
        lines = defaultdict(list)
        for entry_id, *line in JournalLine.objects.filter(entry_id__in=[e[0] for e in chunk]).values_list(
            "entry_id", "account__code", "member_id", "loan_id", "debit", "credit"
        ):
            lines[entry_id].append(line)
        links = []
        for entry in chunk:
            sequence += 1
            posted_at = entry[7]
            linked_at = posted_at if linked_at is None or posted_at > linked_at else linked_at
            digest = _link_hash(sequence, previous, linked_at, entry, _lines_hash(lines.get(entry[0], [])))
            links.append(
                ChainLink(
                    sequence=sequence, entry_id=entry[0], previous_hash=previous, hash=digest, linked_at=linked_at
                )
            )
            previous = digest
        ChainLink.objects.bulk_create(links, batch_size=CHUNK)
        linked += len(links)

    chunk = []
    for entry in entries:
        chunk.append(entry)
        if len(chunk) >= CHUNK:
            write(chunk)
            chunk = []
    if chunk:
        write(chunk)
    return linked


def backfill(apps, schema_editor):
    links_backfill(
        apps.get_model("finance", "JournalEntry"),
        apps.get_model("finance", "JournalLine"),
        apps.get_model("finance", "ChainLink"),
    )


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_GUARD)


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_REMOVE, params=None)
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS finance_chainlink_no_update;")


class Migration(migrations.Migration):
    dependencies = [("finance", "0017_accounting_periods")]

    operations = [
        migrations.CreateModel(
            name="ChainLink",
            fields=[
                ("sequence", models.PositiveBigIntegerField(primary_key=True, serialize=False)),
                ("previous_hash", models.CharField(max_length=64)),
                ("hash", models.CharField(max_length=64)),
                (
                    "linked_at",
                    models.DateTimeField(
                        help_text="When it was chained: the entry's posting time, never earlier than the previous "
                        "link's (so a month end splits the chain in two). A month's last hash is that of the last "
                        "link chained on or before it."
                    ),
                ),
                (
                    "entry",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="chain_link",
                        to="finance.journalentry",
                    ),
                ),
            ],
            options={
                "ordering": ["sequence"],
                "indexes": [models.Index(fields=["linked_at", "sequence"], name="finance_cha_linked__e060f0_idx")],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(install, remove),
    ]
