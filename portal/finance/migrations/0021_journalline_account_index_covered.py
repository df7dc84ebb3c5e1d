"""Drop foreign-key indexes that another index already covers (its leading column, or a unique constraint on the
same column): one index less to write per row on the busiest tables (issue 17: 100,000 members).

Only the index goes (DROP INDEX, on both databases): AlterField would rebuild the foreign key on PostgreSQL
(re-validating every row) and the whole table on SQLite (losing the journal's triggers), for no change but this."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0020_year_end_accounts_and_workflow"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="journalline",
                    name="account",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="lines",
                        to="finance.account",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "finance_journalline_account_id_995b7444"',
                    reverse_sql=(
                        'CREATE INDEX "finance_journalline_account_id_995b7444" ON "finance_journalline" ("account_id")'
                    ),
                ),
            ],
        ),
    ]
