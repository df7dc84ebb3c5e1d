from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("mpesa", "0002_c2b")]
    operations: list = []
