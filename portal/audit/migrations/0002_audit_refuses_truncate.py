"""TRUNCATE of Wagtail's log tables is refused on PostgreSQL (issue 12): 0001's row triggers refuse UPDATE and DELETE,
but TRUNCATE fires no row trigger, so a statement-level BEFORE TRUNCATE trigger closes that door.

As for the journal (finance 0011), a session may say `SET LOCAL portal.allow_truncate = 'on'` first: only the test
runner's flush between transactional tests does (tests/conftest.py). SQLite has no TRUNCATE."""

from django.db import migrations

TABLES = ["wagtailcore_modellogentry", "wagtailcore_pagelogentry"]

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_refuse_truncate() RETURNS trigger AS $$
BEGIN
  IF current_setting('portal.allow_truncate', true) = 'on' THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'the audit trail is append-only: TRUNCATE of % is refused', TG_TABLE_NAME;
END; $$ LANGUAGE plpgsql;
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(PG_FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();"
        )


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS audit_refuse_truncate();")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_append_only_log")]

    operations = [migrations.RunPython(install, remove)]
