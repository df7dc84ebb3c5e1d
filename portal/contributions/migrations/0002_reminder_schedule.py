"""The monthly django-q2 schedule that sends contribution reminders (C6) on the 25th."""

import datetime

from django.db import migrations

from portal.society.q2_schedules import DJANGO_Q_DEPENDENCY, schedule_operation


class Migration(migrations.Migration):
    dependencies = [("contributions", "0001_initial"), DJANGO_Q_DEPENDENCY]

    operations = [
        schedule_operation(
            func="portal.contributions.reminders.reminders_send_for_current_month",
            name="Contribution reminders",
            at=datetime.time(8, 0),
            schedule_type="M",
            day=25,
        )
    ]
