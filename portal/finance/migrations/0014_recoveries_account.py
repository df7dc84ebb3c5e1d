"""4300 Recoveries of loans written off (issue 16): money received on a loan after it was written off is income
here, not a repayment of 1100 (the loan has left the balance sheet)."""

from django.db import migrations


def add_account(apps, schema_editor):
    Account = apps.get_model("finance", "Account")
    Account.objects.get_or_create(
        code="4300", defaults={"name": "Recoveries of loans written off", "type": "income", "is_contra": False}
    )


class Migration(migrations.Migration):
    dependencies = [("finance", "0013_loan_top_up_fees_account")]

    operations = [migrations.RunPython(add_account, migrations.RunPython.noop)]
