"""Issue 15: a loan product may pay out by M-Pesa B2C, and a loan whose payout failed is reversed (not active)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("loans", "0005_loanreview")]

    operations = [
        migrations.AddField(
            model_name="loanproduct",
            name="disburse_by_mpesa",
            field=models.BooleanField(
                default=False,
                help_text="The treasurer's disbursement sends the money to the member's phone (M-Pesa B2C).",
                verbose_name="disburse by M-Pesa",
            ),
        ),
        migrations.AlterField(
            model_name="loan",
            name="status",
            field=models.CharField(
                choices=[("active", "Active"), ("closed", "Closed"), ("reversed", "Payout failed, reversed")],
                default="active",
                max_length=10,
            ),
        ),
    ]
