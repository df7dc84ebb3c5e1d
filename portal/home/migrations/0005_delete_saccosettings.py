"""SaccoSettings now lives in the society app (society 0001); only the state leaves, the table stays."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("home", "0004_saccosettings_provision_doubtful_and_more"),
        ("society", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="SaccoSettings")],
            database_operations=[],
        ),
    ]
