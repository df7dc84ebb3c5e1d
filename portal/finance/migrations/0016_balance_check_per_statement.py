"""The database still refuses, at commit, an entry that does not balance or has fewer than two lines (0002), but
checks each entry once per INSERT statement instead of once per row (issue 17).

0002's deferred constraint triggers fired once for every entry and once more for every line, each summing that
entry's lines: a 100,000-row check-off file (100,000 entries, 300,000 lines) queued 400,000 checks at commit, four
per entry, about 10 s. Constraint triggers can only be row triggers, so the check now goes through a small queue:

- statement-level AFTER INSERT triggers on the journal (with the statement's new rows as a transition table, so
  COPY is covered too) put the ids of the entries the statement inserted, or added lines to, into one row of
  `finance_balance_pending`, as an array;
- a deferred constraint trigger on that table checks, at commit (or at SET CONSTRAINTS … IMMEDIATE, as before), all
  those entries with one grouped query and raises on the first bad one, naming it as 0002 did; then deletes its row.

So every entry inserted, and every entry that gains a line, is checked before its transaction commits, exactly as
before — one check per statement instead of one per row. A queue row never outlives its transaction: rolled back
with it, or deleted by its check at commit. Nothing else writes the queue; UPDATE and DELETE of the journal stay
refused (0002), TRUNCATE too (0011). SQLite has no such check (the services refuse unbalanced postings there).
"""

from django.db import migrations

PG_INSTALL = """
CREATE TABLE finance_balance_pending (id bigserial PRIMARY KEY, entry_ids uuid[] NOT NULL);

CREATE OR REPLACE FUNCTION finance_balance_pending_add() RETURNS trigger AS $$
BEGIN
  IF TG_TABLE_NAME = 'finance_journalentry' THEN
    INSERT INTO finance_balance_pending (entry_ids) SELECT array_agg(id) FROM new_rows HAVING count(*) > 0;
  ELSE
    INSERT INTO finance_balance_pending (entry_ids)
      SELECT array_agg(DISTINCT entry_id) FROM new_rows HAVING count(*) > 0;
  END IF;
  RETURN NULL;
END; $$ LANGUAGE plpgsql;

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

CREATE TRIGGER finance_journalentry_balance_pending AFTER INSERT ON finance_journalentry
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION finance_balance_pending_add();
CREATE TRIGGER finance_journalline_balance_pending AFTER INSERT ON finance_journalline
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION finance_balance_pending_add();
CREATE CONSTRAINT TRIGGER finance_balance_pending_check AFTER INSERT ON finance_balance_pending
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION finance_check_entries_balanced();

DROP TRIGGER IF EXISTS finance_journalline_balanced ON finance_journalline;
DROP TRIGGER IF EXISTS finance_journalentry_balanced ON finance_journalentry;
"""

PG_REMOVE = """
DROP TRIGGER IF EXISTS finance_journalentry_balance_pending ON finance_journalentry;
DROP TRIGGER IF EXISTS finance_journalline_balance_pending ON finance_journalline;
DROP TABLE IF EXISTS finance_balance_pending;
DROP FUNCTION IF EXISTS finance_check_entries_balanced();
DROP FUNCTION IF EXISTS finance_balance_pending_add();
CREATE CONSTRAINT TRIGGER finance_journalline_balanced AFTER INSERT ON finance_journalline
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION finance_check_entry_balanced();
CREATE CONSTRAINT TRIGGER finance_journalentry_balanced AFTER INSERT ON finance_journalentry
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION finance_check_entry_balanced();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_INSTALL, params=None)  # the SQL contains % (RAISE), not placeholders


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_REMOVE, params=None)


class Migration(migrations.Migration):
    dependencies = [("finance", "0015_member_exit_accounts")]

    operations = [migrations.RunPython(install, remove)]
