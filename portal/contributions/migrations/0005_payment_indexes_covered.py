"""Drop foreign-key indexes that another index already covers (its leading column, or a unique constraint on the
same column): one index less to write per row on the busiest tables (issue 17: 100,000 members).

Only the index goes (DROP INDEX, on both databases): AlterField would rebuild the foreign key on PostgreSQL
(re-validating every row) and the whole table on SQLite (losing the journal's triggers), for no change but this."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contributions", "0004_checkoff_run"),
        ("finance", "0021_journalline_account_index_covered"),
        ("members", "0031_roles_year_end"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="monthlycontribution",
                    name="entry",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="monthly_contributions",
                        to="finance.journalentry",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "contributions_monthlycontribution_entry_id_5f4c465d"',
                    reverse_sql=(
                        'CREATE INDEX "contributions_monthlycontribution_entry_id_5f4c465d" '
                        'ON "contributions_monthlycontribution" ("entry_id")'
                    ),
                ),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="monthlycontribution",
                    name="member",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="members.member",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "contributions_monthlycontribution_member_id_f319aa92"',
                    reverse_sql=(
                        'CREATE INDEX "contributions_monthlycontribution_member_id_f319aa92" '
                        'ON "contributions_monthlycontribution" ("member_id")'
                    ),
                ),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="sharecapitalpayment",
                    name="entry",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="share_capital_payments",
                        to="finance.journalentry",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "contributions_sharecapitalpayment_entry_id_92de6ced"',
                    reverse_sql=(
                        'CREATE INDEX "contributions_sharecapitalpayment_entry_id_92de6ced" '
                        'ON "contributions_sharecapitalpayment" ("entry_id")'
                    ),
                ),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="sharecapitalpayment",
                    name="member",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="members.member",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "contributions_sharecapitalpayment_member_id_ffd6a5fc"',
                    reverse_sql=(
                        'CREATE INDEX "contributions_sharecapitalpayment_member_id_ffd6a5fc" '
                        'ON "contributions_sharecapitalpayment" ("member_id")'
                    ),
                ),
            ],
        ),
    ]
