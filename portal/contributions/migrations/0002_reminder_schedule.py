"""The monthly django-q2 schedule that sends contribution reminders (C6) on the 25th."""

import datetime

from django.db import migrations
from django.utils import timezone

FUNC = "portal.contributions.reminders.reminders_send_for_current_month"


def create(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    today = timezone.localdate()
    run_on = (
        today.replace(day=25)
        if today.day < 25
        else (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=25)
    )
    Schedule.objects.get_or_create(
        func=FUNC,
        defaults={
            "name": "Contribution reminders",
            "schedule_type": "M",
            "repeats": -1,
            "next_run": timezone.make_aware(datetime.datetime.combine(run_on, datetime.time(8, 0))),
        },
    )


def remove(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func=FUNC).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("contributions", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create, remove)]
