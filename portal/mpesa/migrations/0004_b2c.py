from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("mpesa", "0003_stk")]
    operations: list = []
