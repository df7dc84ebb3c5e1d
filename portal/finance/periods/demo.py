"""Demo month close: every month up to the end of last year closed, in order, as a treasurer and an administrator
would have done it (the treasurer asks, the administrator approves), so the demo's Periods screen shows closed
books and a back-dated payment into last year is refused. Last year is closed first (the year-end entry is dated 31
December; dividends_seed closes the years). Idempotent: months already closed are skipped."""

import datetime

from django.contrib.auth import get_user_model
from django.db.models import Min
from django.utils import timezone

from portal.finance.ledger.models import JournalEntry

from .guard import books_closed_through
from .models import month_after, month_start
from .services import period_close_approve, period_close_request


def periods_seed(*, through: datetime.date | None = None) -> int:
    """Close every month with entries up to `through` (default: 31 December of last year); the count closed."""
    users = {
        u.email: u
        for u in get_user_model().objects.filter(email__in=["treasurer@sacco.example", "admin@sacco.example"])
    }
    treasurer, admin = users.get("treasurer@sacco.example"), users.get("admin@sacco.example")
    if treasurer is None or admin is None:
        return 0
    through = through or datetime.date(timezone.localdate().year - 1, 12, 31)
    first = JournalEntry.objects.aggregate(first=Min("date"))["first"]
    if first is None:
        return 0
    closed = books_closed_through()
    month = month_start(first if closed is None else closed + datetime.timedelta(days=1))
    count = 0
    while month <= through:
        period_close_request(month=month, by=treasurer, note="Demo: month-end close")
        period_close_approve(month=month, by=admin)
        count += 1
        month = month_after(month)
    return count
