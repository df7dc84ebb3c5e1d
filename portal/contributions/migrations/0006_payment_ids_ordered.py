"""New contributions and share capital payments take time-ordered ids, as the journal entries they point at
(finance 0022, issue 17): a check-off file's 200,000 records append to their primary-key indexes instead of
landing on random pages. Only the Python default changes, so only the migration state does."""

from django.db import migrations, models

import portal.society.ordered_ids


def _ordered_id():
    return models.UUIDField(
        default=portal.society.ordered_ids.ordered_uuid, editable=False, primary_key=True, serialize=False
    )


class Migration(migrations.Migration):
    dependencies = [("contributions", "0005_payment_indexes_covered")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name="monthlycontribution", name="id", field=_ordered_id()),
                migrations.AlterField(model_name="sharecapitalpayment", name="id", field=_ordered_id()),
            ]
        )
    ]
