"""The nightly django-q2 backup (02:00), created once; administrators change or pause it under Django Q."""

import datetime

from django.db import migrations

from portal.society.q2_schedules import DJANGO_Q_DEPENDENCY, schedule_operation


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_backup"), DJANGO_Q_DEPENDENCY]

    operations = [
        schedule_operation(
            func="portal.reports.backups.backup_scheduled", name="Nightly backup", at=datetime.time(2, 0)
        )
    ]
