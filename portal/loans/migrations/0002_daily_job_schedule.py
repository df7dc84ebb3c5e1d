"""The daily django-q2 schedule for the loan job (interest due, penalties, classification, provisioning)."""

import datetime

from django.db import migrations
from django.utils import timezone

FUNC = "portal.loans.jobs.loans_daily"


def create(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    Schedule.objects.get_or_create(
        func=FUNC,
        defaults={
            "name": "Daily loan job",
            "schedule_type": "D",
            "repeats": -1,
            "next_run": timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time(1, 0))),
        },
    )


def remove(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func=FUNC).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("loans", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create, remove)]
