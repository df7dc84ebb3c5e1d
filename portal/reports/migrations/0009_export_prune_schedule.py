"""A daily django-q2 job (04:00) deletes export files older than EXPORT_KEEP_DAYS; created once, changed under
Django Q."""

import datetime

from django.db import migrations

from portal.society.q2_schedules import DJANGO_Q_DEPENDENCY, schedule_operation


class Migration(migrations.Migration):
    dependencies = [("reports", "0008_export_job_expired"), DJANGO_Q_DEPENDENCY]

    operations = [
        schedule_operation(
            func="portal.reports.export_jobs.export_jobs_prune", name="Delete old export files", at=datetime.time(4, 0)
        )
    ]
