"""Grant "Can reverse loan repayments posted in error" (loans.reverse_loanrepayment) to the treasurer and the
administrators (issue 16)."""

from django.db import migrations

from portal.members.migrations._helpers import sync_roles


class Migration(migrations.Migration):
    dependencies = [("members", "0023_roles_translate_pages"), ("loans", "0008_repayment_reversal")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
