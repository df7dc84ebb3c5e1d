"""The daily django-q2 schedule for the loan job (interest due, penalties, classification, provisioning)."""

import datetime

from django.db import migrations

from portal.society.q2_schedules import DJANGO_Q_DEPENDENCY, schedule_operation


class Migration(migrations.Migration):
    dependencies = [("loans", "0001_initial"), DJANGO_Q_DEPENDENCY]

    operations = [
        schedule_operation(func="portal.loans.jobs.loans_daily", name="Daily loan job", at=datetime.time(1, 0))
    ]
