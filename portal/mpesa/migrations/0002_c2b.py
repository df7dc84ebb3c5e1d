from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("mpesa", "0001_initial")]
    operations: list = []
