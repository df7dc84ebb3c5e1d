"""The audit trail is append-only in the database too: Wagtail's log tables refuse any change to what an entry
says (who, what, when, values) and, on PostgreSQL, any deletion. Wagtail itself only ever inserts entries; a
deleted content type or purged revision may still blank its reference (content_type_id, revision_id).

SQLite keeps deletions possible, as for the journal: Django's test runner empties tables with DELETE there."""

from django.db import migrations

TABLES = {"wagtailcore_modellogentry": "object_id", "wagtailcore_pagelogentry": "page_id"}
COLUMNS = "label, action, data, timestamp, uuid, user_id, content_changed, deleted"
MESSAGE = "the audit trail is append-only: add an entry instead"

PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '{MESSAGE}';
END; $$ LANGUAGE plpgsql;
"""


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION, params=None)
        for table, target in TABLES.items():
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OF {COLUMNS}, {target} OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();"
            )
    elif vendor == "sqlite":
        for table, target in TABLES.items():
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OF {COLUMNS}, {target} ON {table} BEGIN "
                f"SELECT RAISE(ABORT, '{MESSAGE}'); END;"
            )


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only;")


class Migration(migrations.Migration):
    dependencies = [("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes")]

    operations = [migrations.RunPython(install, remove)]
