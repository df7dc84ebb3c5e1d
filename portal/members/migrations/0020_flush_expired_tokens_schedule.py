"""A daily django-q2 job (03:30) prunes expired API refresh tokens; created once, changed under Django Q."""

import datetime

from django.db import migrations

from portal.society.q2_schedules import DJANGO_Q_DEPENDENCY, schedule_operation


class Migration(migrations.Migration):
    dependencies = [("members", "0019_phone_numbers_validated"), DJANGO_Q_DEPENDENCY]

    operations = [
        schedule_operation(
            func="portal.members.tokens.tokens_flush_expired", name="Prune expired API tokens", at=datetime.time(3, 30)
        )
    ]
