"""Drop foreign-key indexes that another index already covers (its leading column, or a unique constraint on the
same column): one index less to write per row on the busiest tables (issue 17: 100,000 members).

Only the index goes (DROP INDEX, on both databases): AlterField would rebuild the foreign key on PostgreSQL
(re-validating every row) and the whole table on SQLite (losing the journal's triggers), for no change but this."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("loans", "0012_guarantor_recovery_and_substitution"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="loaninstalment",
                    name="loan",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="instalments",
                        to="loans.loan",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "loans_loaninstalment_loan_id_4941b1cd"',
                    reverse_sql=(
                        'CREATE INDEX "loans_loaninstalment_loan_id_4941b1cd" ON "loans_loaninstalment" ("loan_id")'
                    ),
                ),
            ],
        ),
    ]
