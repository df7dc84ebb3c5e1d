"""The commit-time balance check (0016) checks each entry once per transaction, not once per statement that
touched it (issue 17).

0016 queued one row of `finance_balance_pending` per INSERT or COPY, and its deferred trigger checked each row's
entries separately: a check-off file queues the same 100,000 entry ids twice (once from the entries, once from their
lines), so they were summed twice at commit. Now the first check to fire takes every row queued so far in this
transaction, checks the distinct entries of all of them in one grouped query, and deletes them; the checks of the
rows it took find their row gone and return. Nothing is checked less: every entry inserted or given a line is still
checked before its transaction commits (or at SET CONSTRAINTS … IMMEDIATE). Rows another transaction queued are
invisible here until it commits, and it deletes its own rows before it does.
"""

from django.db import migrations

PG_INSTALL = """
CREATE OR REPLACE FUNCTION finance_check_entries_balanced() RETURNS trigger AS $$
DECLARE bad record;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM finance_balance_pending WHERE id = NEW.id) THEN
    RETURN NULL;  -- an earlier check in this transaction took this row with the others
  END IF;
  -- Each entry's lines through the index on entry_id (LATERAL: one probe per entry, never a scan of the journal).
  SELECT e.id, s.dr, s.cr, s.n INTO bad
    FROM (SELECT DISTINCT unnest(entry_ids) AS id FROM finance_balance_pending) AS e
    CROSS JOIN LATERAL (
      SELECT COALESCE(SUM(l.debit), 0) AS dr, COALESCE(SUM(l.credit), 0) AS cr, COUNT(*) AS n
        FROM finance_journalline l WHERE l.entry_id = e.id
    ) AS s
    WHERE s.n < 2 OR s.dr <> s.cr OR s.dr <= 0
    LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'journal entry % is not balanced (debits %, credits %, % lines)', bad.id, bad.dr, bad.cr, bad.n;
  END IF;
  DELETE FROM finance_balance_pending;  -- the rows of this transaction: no other transaction's are visible
  RETURN NULL;
END; $$ LANGUAGE plpgsql;
"""

PG_REMOVE = """
CREATE OR REPLACE FUNCTION finance_check_entries_balanced() RETURNS trigger AS $$
DECLARE bad record;
BEGIN
  SELECT e.id, COALESCE(SUM(l.debit), 0) AS dr, COALESCE(SUM(l.credit), 0) AS cr, COUNT(l.id) AS n INTO bad
    FROM unnest(NEW.entry_ids) AS e(id) LEFT JOIN finance_journalline l ON l.entry_id = e.id
    GROUP BY e.id
    HAVING COUNT(l.id) < 2 OR COALESCE(SUM(l.debit), 0) <> COALESCE(SUM(l.credit), 0)
      OR COALESCE(SUM(l.debit), 0) <= 0
    LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'journal entry % is not balanced (debits %, credits %, % lines)', bad.id, bad.dr, bad.cr, bad.n;
  END IF;
  DELETE FROM finance_balance_pending WHERE id = NEW.id;
  RETURN NULL;
END; $$ LANGUAGE plpgsql;
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_INSTALL, params=None)  # the SQL contains % (RAISE), not placeholders


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_REMOVE, params=None)


class Migration(migrations.Migration):
    dependencies = [("finance", "0022_ordered_entry_ids_and_set_only_line_indexes")]

    operations = [migrations.RunPython(install, remove)]
