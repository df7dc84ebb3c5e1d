"""The starter chart of accounts (domain.md), and database guards on the journal:

- journal entries and lines cannot be UPDATEd (SQLite and PostgreSQL) or DELETEd (PostgreSQL; on SQLite the
  test runner's flush deletes rows, so there the application alone refuses deletion);
- on PostgreSQL a deferred constraint trigger refuses, at commit, an entry whose lines do not balance or that has
  fewer than two lines.
"""

from django.db import migrations

CHART = [
    ("1000", "Cash on hand", "asset", False),
    ("1010", "Bank — current account", "asset", False),
    ("1011", "M-Pesa paybill", "asset", False),
    ("1100", "Loans to members", "asset", False),
    ("1110", "Interest receivable", "asset", False),
    ("1120", "Penalties receivable", "asset", False),
    ("1190", "Loan loss provision", "asset", True),
    ("2000", "Member deposits", "liability", False),
    ("2100", "Dividends payable", "liability", False),
    ("2110", "Interest on deposits payable", "liability", False),
    ("2200", "Withholding tax payable", "liability", False),
    ("2300", "Unallocated receipts (suspense)", "liability", False),
    ("3000", "Share capital", "equity", False),
    ("3100", "Statutory reserve", "equity", False),
    ("3200", "Retained earnings", "equity", False),
    ("4000", "Loan interest", "income", False),
    ("4100", "Loan processing fees", "income", False),
    ("4110", "Loan insurance fees", "income", False),
    ("4200", "Penalties", "income", False),
    ("4900", "Other income", "income", False),
    ("5000", "Operating expenses", "expense", False),
    ("5100", "Bank and transaction charges", "expense", False),
    ("5200", "Loan loss provision expense", "expense", False),
    ("5300", "Interest on deposits", "expense", False),
]

IMMUTABLE_TABLES = ["finance_journalentry", "finance_journalline"]

PG_BALANCE = """
CREATE OR REPLACE FUNCTION finance_check_entry_balanced() RETURNS trigger AS $$
DECLARE dr numeric; cr numeric; n integer; target uuid;
BEGIN
  IF TG_TABLE_NAME = 'finance_journalentry' THEN target := NEW.id; ELSE target := NEW.entry_id; END IF;
  SELECT COALESCE(SUM(debit), 0), COALESCE(SUM(credit), 0), COUNT(*) INTO dr, cr, n
    FROM finance_journalline WHERE entry_id = target;
  IF n < 2 OR dr <> cr OR dr <= 0 THEN
    RAISE EXCEPTION 'journal entry % is not balanced (debits %, credits %, % lines)', target, dr, cr, n;
  END IF;
  RETURN NULL;
END; $$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER finance_journalline_balanced AFTER INSERT ON finance_journalline
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION finance_check_entry_balanced();
CREATE CONSTRAINT TRIGGER finance_journalentry_balanced AFTER INSERT ON finance_journalentry
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION finance_check_entry_balanced();
CREATE OR REPLACE FUNCTION finance_refuse_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'posted journal rows are immutable: post a reversal instead';
END; $$ LANGUAGE plpgsql;
"""


def load_chart(apps, schema_editor):
    Account = apps.get_model("finance", "Account")
    for code, name, type_, contra in CHART:
        Account.objects.get_or_create(code=code, defaults={"name": name, "type": type_, "is_contra": contra})


def install_guards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BALANCE, params=None)  # the SQL contains % (RAISE), not placeholders
        for table in IMMUTABLE_TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION finance_refuse_change();"
            )
    elif vendor == "sqlite":
        for table in IMMUTABLE_TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN "
                "SELECT RAISE(ABORT, 'posted journal rows are immutable: post a reversal instead'); END;"
            )


def remove_guards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in IMMUTABLE_TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table};")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update;")
    if vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS finance_journalline_balanced ON finance_journalline;")
        schema_editor.execute("DROP TRIGGER IF EXISTS finance_journalentry_balanced ON finance_journalentry;")


class Migration(migrations.Migration):
    dependencies = [("finance", "0001_initial")]

    operations = [
        migrations.RunPython(load_chart, migrations.RunPython.noop),
        migrations.RunPython(install_guards, remove_guards),
    ]
