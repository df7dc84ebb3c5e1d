"""django-q2 schedules created by data migrations: once, idempotently, and left alone afterwards, so an
administrator can change or pause them under Django Q without the next deploy putting them back."""

import datetime

from django.db import migrations
from django.utils import timezone


def _first_run(schedule_type: str, at: datetime.time, day: int | None) -> datetime.datetime:
    today = timezone.localdate()
    if schedule_type == "M":
        run_on = today.replace(day=day) if today.day < day else (today.replace(day=1) + datetime.timedelta(days=32))
        run_on = run_on.replace(day=day)
    else:
        run_on = today + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(run_on, at))


def schedule_operation(
    *, func: str, name: str, at: datetime.time, schedule_type: str = "D", day: int | None = None, minutes=None
) -> migrations.RunPython:
    """A RunPython that creates the schedule for `func` unless one exists, and removes it when migrated back.

    `schedule_type` is django-q2's: "D" daily at `at` (first run tomorrow), "M" monthly on `day` at `at` (first
    run on the next such day), "I" every `minutes` minutes (first run tomorrow at `at`, or pass at=None for now)."""

    def create(apps, schema_editor):
        defaults = {"name": name, "schedule_type": schedule_type, "repeats": -1}
        if schedule_type == "I":
            defaults["minutes"] = minutes
            defaults["next_run"] = timezone.now() if at is None else _first_run("D", at, None)
        else:
            defaults["next_run"] = _first_run(schedule_type, at, day)
        apps.get_model("django_q", "Schedule").objects.get_or_create(func=func, defaults=defaults)

    def remove(apps, schema_editor):
        apps.get_model("django_q", "Schedule").objects.filter(func=func).delete()

    return migrations.RunPython(create, remove)


# Every schedule migration depends on this django-q2 migration (the Schedule table as the functions above use it).
DJANGO_Q_DEPENDENCY = ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more")
