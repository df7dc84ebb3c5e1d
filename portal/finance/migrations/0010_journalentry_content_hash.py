"""Every journal entry keeps a hash of its content beside its idempotency key (issue 12), so the same key with
other content is refused rather than silently "already posted". Existing entries get theirs from their lines."""

import hashlib
import uuid
from decimal import Decimal

from django.db import migrations, models

SQLITE_GUARD = (
    "CREATE TRIGGER finance_journalentry_no_update BEFORE UPDATE ON finance_journalentry BEGIN "
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


def _content_hash(lines) -> str:
    """Frozen copy of ledger.services.lines_content_hash as it was when this migration was written (a migration
    must not change when the app's code does; if the canonical form ever changes, a new migration rehashes)."""
    canonical = sorted(
        f"{code}|{_id_text(member_id)}|{_id_text(loan_id)}|{Decimal(debit):.2f}|{Decimal(credit):.2f}"
        for code, member_id, loan_id, debit, credit in lines
    )
    return hashlib.sha256("\n".join(canonical).encode()).hexdigest()


def _hashes(JournalLine):
    """(entry id, hash) for every entry, reading the lines once, in entry order."""
    current, lines = None, []
    rows = (
        JournalLine.objects.order_by("entry_id", "pk")
        .values_list("entry_id", "account__code", "member_id", "loan_id", "debit", "credit")
        .iterator(chunk_size=5000)
    )
    for entry_id, *line in rows:
        if entry_id != current:
            if current is not None:
                yield current, _content_hash(lines)
            current, lines = entry_id, []
        lines.append(line)
    if current is not None:
        yield current, _content_hash(lines)


def backfill(apps, schema_editor):
    """Hash every existing entry. Posted entries refuse UPDATE, so the guard steps aside for this backfill, which
    writes nothing but the new column, and is put back at once (in the same transaction), as 0008 did."""
    JournalEntry = apps.get_model("finance", "JournalEntry")
    JournalLine = apps.get_model("finance", "JournalLine")
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("ALTER TABLE finance_journalentry DISABLE TRIGGER finance_journalentry_immutable")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS finance_journalentry_no_update")
    batch = []
    for entry_id, digest in _hashes(JournalLine):
        batch.append(JournalEntry(pk=entry_id, content_hash=digest))
        if len(batch) >= 1000:
            JournalEntry.objects.bulk_update(batch, ["content_hash"])
            batch = []
    if batch:
        JournalEntry.objects.bulk_update(batch, ["content_hash"])
    if vendor == "postgresql":
        schema_editor.execute("ALTER TABLE finance_journalentry ENABLE TRIGGER finance_journalentry_immutable")
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_GUARD)


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0009_bank_reconciliation"),
    ]

    operations = [
        migrations.AddField(
            model_name="journalentry",
            name="content_hash",
            field=models.CharField(
                editable=False,
                help_text="SHA-256 of the entry's lines (accounts, member, loan, amounts): the same idempotency key "
                "with other content is refused instead of being silently 'already posted'. See "
                "ledger.services.lines_content_hash.",
                max_length=64,
                null=True,
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
