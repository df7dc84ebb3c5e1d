from django.db import migrations


class Migration(migrations.Migration):
    """The app's first migration: empty, so each flow's migration (0002 C2B, 0003 STK, 0004 B2C) has a root."""

    initial = True
    dependencies: list = []
    operations: list = []
