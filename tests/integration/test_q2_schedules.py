"""The django-q2 schedules that migrations create (portal/society/q2_schedules.py): each once, with its timing."""

import datetime

import pytest
from django.utils import timezone
from django_q.models import Schedule

pytestmark = pytest.mark.django_db

EXPECTED = {
    "portal.contributions.reminders.reminders_send_for_current_month": ("M", datetime.time(8, 0)),
    "portal.loans.jobs.loans_daily": ("D", datetime.time(1, 0)),
    "portal.members.tokens.tokens_flush_expired": ("D", datetime.time(3, 30)),
    "portal.reports.backups.backup_scheduled": ("D", datetime.time(2, 0)),
    "portal.reports.export_jobs.export_jobs_prune": ("D", datetime.time(4, 0)),
}


@pytest.mark.parametrize("func", sorted(EXPECTED))
def test_each_schedule_exists_once_repeating_at_its_hour(func):
    schedule_type, at = EXPECTED[func]
    schedule = Schedule.objects.get(func=func)  # exactly one
    assert schedule.schedule_type == schedule_type
    assert schedule.repeats == -1
    next_run = timezone.localtime(schedule.next_run)
    assert next_run.time() == at
    assert next_run > timezone.now() - datetime.timedelta(days=1)


def test_contribution_reminders_run_on_the_25th():
    schedule = Schedule.objects.get(func="portal.contributions.reminders.reminders_send_for_current_month")
    assert timezone.localtime(schedule.next_run).day == 25
