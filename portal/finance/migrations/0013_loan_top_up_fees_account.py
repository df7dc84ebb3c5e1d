"""4120 Loan top-up fees (issue 16): the income account a top-up's fee is posted to (portal/loans/top_up.py), beside
4100 processing and 4110 insurance fees of the starter chart."""

from django.db import migrations


def create(apps, schema_editor):
    Account = apps.get_model("finance", "Account")
    Account.objects.get_or_create(code="4120", defaults={"name": "Loan top-up fees", "type": "income"})


class Migration(migrations.Migration):
    dependencies = [("finance", "0012_loan_application_fees_account")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
