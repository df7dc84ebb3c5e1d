"""A daily django-q2 job (03:30) prunes expired API refresh tokens; created once, changed under Django Q."""

import datetime

from django.db import migrations
from django.utils import timezone

FUNC = "portal.members.tokens.tokens_flush_expired"


def create(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    Schedule.objects.get_or_create(
        func=FUNC,
        defaults={
            "name": "Prune expired API tokens",
            "schedule_type": "D",
            "repeats": -1,
            "next_run": timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time(3, 30))),
        },
    )


def remove(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func=FUNC).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0019_phone_numbers_validated"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create, remove)]
