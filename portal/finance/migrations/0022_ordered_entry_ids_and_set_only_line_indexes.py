"""Two changes for the rows written most (issue 17: a check-off file of 100,000 entries), neither changing a
posted row:

- New journal entries take time-ordered ids (portal/society/ordered_ids.py): entries posted together append to the
  right-hand edge of every index on an entry id instead of landing on random pages. Only the Python default
  changes, so only the migration state does: AlterField would rebuild the table on SQLite (and lose the journal's
  triggers) for nothing.
- The indexes on a line's member and loan hold only the lines that have one (`WHERE … IS NOT NULL`): the bank side
  of every entry, and every line that is not a loan's, wrote a NULL into each. Every lookup by a member or a loan
  (`= x`, `IN (…)`) implies NOT NULL, so PostgreSQL and SQLite use the partial index for it.
"""

import django.db.models.deletion
from django.db import migrations, models

import portal.society.ordered_ids

OLD_INDEX = 'CREATE INDEX "{name}" ON "finance_journalline" ("{column}")'


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0021_journalline_account_index_covered"),
        ("loans", "0013_instalment_loan_index_covered"),
        ("members", "0031_roles_year_end"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="journalentry",
                    name="id",
                    field=models.UUIDField(
                        default=portal.society.ordered_ids.ordered_uuid,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                migrations.AlterField(
                    model_name="journalline",
                    name="loan",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="ledger_lines",
                        to="loans.loan",
                    ),
                ),
                migrations.AlterField(
                    model_name="journalline",
                    name="member",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="ledger_lines",
                        to="members.member",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "finance_journalline_member_id_9f0e20f3"',
                    reverse_sql=(
                        'CREATE INDEX "finance_journalline_member_id_9f0e20f3" ON "finance_journalline" ("member_id")'
                    ),
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "finance_journalline_loan_id_21eb803d"',
                    reverse_sql=(
                        'CREATE INDEX "finance_journalline_loan_id_21eb803d" ON "finance_journalline" ("loan_id")'
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="journalline",
            index=models.Index(
                condition=models.Q(("member__isnull", False)), fields=["member"], name="journalline_member_set"
            ),
        ),
        migrations.AddIndex(
            model_name="journalline",
            index=models.Index(
                condition=models.Q(("loan__isnull", False)), fields=["loan"], name="journalline_loan_set"
            ),
        ),
    ]
