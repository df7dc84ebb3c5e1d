"""TRUNCATE of the journal is refused on PostgreSQL (issue 12). The row triggers of 0002 refuse UPDATE and DELETE, but
TRUNCATE fires no row trigger: a statement-level BEFORE TRUNCATE trigger closes that door.

The one deliberate exception is a session that says so first, `SET LOCAL portal.allow_truncate = 'on'`: the test
runner empties the database between transactional tests with TRUNCATE, and tests/conftest.py sets it for that flush
only. It guards against a careless TRUNCATE or a tool's "flush", not against a database owner, who could drop the
trigger anyway. SQLite has no TRUNCATE."""

from django.db import migrations

TABLES = ["finance_journalentry", "finance_journalline"]

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION finance_refuse_truncate() RETURNS trigger AS $$
BEGIN
  IF current_setting('portal.allow_truncate', true) = 'on' THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'posted journal rows are immutable: TRUNCATE of % is refused', TG_TABLE_NAME;
END; $$ LANGUAGE plpgsql;
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(PG_FUNCTION, params=None)  # the SQL contains % (RAISE), not placeholders
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION finance_refuse_truncate();"
        )


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS finance_refuse_truncate();")


class Migration(migrations.Migration):
    dependencies = [("finance", "0010_journalentry_content_hash")]

    operations = [migrations.RunPython(install, remove)]
