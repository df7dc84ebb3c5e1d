"""A daily django-q2 job (04:00) deletes export files older than EXPORT_KEEP_DAYS; created once, changed under
Django Q."""

import datetime

from django.db import migrations
from django.utils import timezone

FUNC = "portal.reports.export_jobs.export_jobs_prune"


def create(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    Schedule.objects.get_or_create(
        func=FUNC,
        defaults={
            "name": "Delete old export files",
            "schedule_type": "D",
            "repeats": -1,
            "next_run": timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time(4, 0))),
        },
    )


def remove(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func=FUNC).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0008_export_job_expired"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create, remove)]
