"""Reads for the accounting periods screen."""

import datetime

from django.utils import timezone

from portal.finance.ledger.models import JournalEntry

from .models import AccountingPeriod, PeriodState, month_after, month_start


def period_rows(*, months_back: int = 24) -> list[AccountingPeriod]:
    """The months to show, newest first: every month with a row or with entries, and every month from the first of
    those to the current one, up to `months_back` months; months without a row come as unsaved open periods."""
    today = timezone.localdate()
    current = month_start(today)
    stored = {p.month: p for p in AccountingPeriod.objects.select_related("requested_by", "closed_by", "reopened_by")}
    first_entry = JournalEntry.objects.order_by("date").values_list("date", flat=True).first()
    starts = [m for m in stored] + ([month_start(first_entry)] if first_entry else [])
    first = min(starts, default=current)
    months: list[datetime.date] = []
    month = first
    while month <= current:
        months.append(month)
        month = month_after(month)
    months = months[-months_back:]
    return [stored.get(m) or AccountingPeriod(month=m, state=PeriodState.OPEN) for m in reversed(months)]
