"""Every ten minutes, a django-q2 job processes again the M-Pesa callbacks whose task never ran (mpesa/jobs.py)."""

from django.db import migrations

from portal.society.q2_schedules import DJANGO_Q_DEPENDENCY, schedule_operation


class Migration(migrations.Migration):
    dependencies = [("mpesa", "0004_b2c"), DJANGO_Q_DEPENDENCY]

    operations = [
        schedule_operation(
            func="portal.mpesa.jobs.mpesa_callbacks_retry",
            name="M-Pesa callbacks not yet processed",
            at=None,
            schedule_type="I",
            minutes=10,
        )
    ]
