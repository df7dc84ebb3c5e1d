"""Accounting periods (issue 18): a month of the books closes, maker-checker (portal.finance.periods), and the
database refuses a journal row dated in a closed month, so no posting path can go round the services' check.

The books are closed *through* the latest month in state closed or reopen requested (months close in order; only the
latest closed one reopens), so the guard compares the earliest date written against the day after that month:

- PostgreSQL: statement-level AFTER INSERT triggers on the journal's entries and lines, with the statement's new
  rows as a transition table (COPY included), look the boundary up once per statement and raise on the earliest
  date before it — one small query per statement, however many rows;
- SQLite: a BEFORE INSERT row trigger on each table does the same comparison.

UPDATE, DELETE and TRUNCATE of the journal stay refused (0002, 0011).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

PG_INSTALL = """
CREATE OR REPLACE FUNCTION finance_refuse_closed_period() RETURNS trigger AS $$
DECLARE latest date; earliest date;
BEGIN
  SELECT max(month) INTO latest FROM finance_accountingperiod WHERE state IN ('closed', 'reopen_requested');
  IF latest IS NULL THEN
    RETURN NULL;
  END IF;
  SELECT min(date) INTO earliest FROM new_rows;
  IF earliest < (latest + interval '1 month')::date THEN
    RAISE EXCEPTION
      'journal row dated % falls in a closed month (books closed through %): post the correction in the open month',
      earliest, to_char(latest, 'FMMonth YYYY');
  END IF;
  RETURN NULL;
END; $$ LANGUAGE plpgsql;
CREATE TRIGGER finance_journalentry_open_period AFTER INSERT ON finance_journalentry
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION finance_refuse_closed_period();
CREATE TRIGGER finance_journalline_open_period AFTER INSERT ON finance_journalline
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION finance_refuse_closed_period();
"""

PG_REMOVE = """
DROP TRIGGER IF EXISTS finance_journalentry_open_period ON finance_journalentry;
DROP TRIGGER IF EXISTS finance_journalline_open_period ON finance_journalline;
DROP FUNCTION IF EXISTS finance_refuse_closed_period();
"""

TABLES = ["finance_journalentry", "finance_journalline"]


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_INSTALL, params=None)  # the SQL contains % (RAISE), not placeholders
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_open_period BEFORE INSERT ON {table} "  # noqa: S608 (table: constant above)
                "WHEN NEW.date < (SELECT date(max(month), '+1 month') FROM finance_accountingperiod "
                "WHERE state IN ('closed', 'reopen_requested')) BEGIN "
                "SELECT RAISE(ABORT, 'journal row dated in a closed month: post the correction in the open month'); "
                "END;"
            )


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_REMOVE, params=None)
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_open_period;")


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0016_balance_check_per_statement"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AccountingPeriod",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.DateField(help_text="The first day of the month.", unique=True, verbose_name="month")),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("open", "Open"),
                            ("close_requested", "Close requested"),
                            ("closed", "Closed"),
                            ("reopen_requested", "Reopen requested"),
                        ],
                        default="open",
                        max_length=20,
                        verbose_name="state",
                    ),
                ),
                ("requested_at", models.DateTimeField(blank=True, null=True)),
                ("request_reason", models.TextField(blank=True)),
                ("closed_at", models.DateTimeField(blank=True, null=True)),
                ("reopened_at", models.DateTimeField(blank=True, null=True)),
                ("reopen_reason", models.TextField(blank=True)),
                (
                    "closed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "closed_requested_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "reopen_requested_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "reopened_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "accounting period",
                "verbose_name_plural": "accounting periods",
                "ordering": ["-month"],
                "permissions": [("close_accountingperiod", "Can request and approve closing or reopening a month")],
            },
        ),
        migrations.RunPython(install, remove),
    ]
