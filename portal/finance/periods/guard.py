"""The check every posting path makes before it writes (issue 18): no entry dated in a closed month.

The books are closed through the latest closed month (months close in order, and only the latest closed month can
be reopened, so that one date says it all): an entry dated on or before its last day is refused with
`PeriodClosed`. One query per call, however many entries. The database refuses the same insert (the trigger of the
finance migration `accounting_periods`), so no path can go round this."""

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Max

from portal.finance.ledger.errors import LedgerError

from .models import CLOSED_STATES, AccountingPeriod, month_after, month_start


class PeriodClosed(LedgerError, ValidationError):
    """A posting dated in a closed month. `date` is the refused date, `closed_through` the last day of the latest
    closed month. Nothing was posted; the correction goes into the open month with a reference to the original.

    A LedgerError (callers that catch the ledger's refusals catch it), and a Django ValidationError naming the
    `field` ("date" unless the caller says otherwise, see `for_field`): a form that shows a service's
    ValidationError shows it on its date field, and the API answers 400 {"date": [message]}, never a 500."""

    def __init__(self, *, date: datetime.date, closed_through: datetime.date, field: str = "date"):
        self.date = date
        self.closed_through = closed_through
        self.field = field
        month = month_start(date).strftime("%B %Y")
        through = closed_through.strftime("%B %Y")
        first_open = closed_through + datetime.timedelta(days=1)
        where = (
            f"{month}, a closed month" if month == through else f"{month}, and the books are closed through {through}"
        )
        self.text = (
            f"The date {date.isoformat()} falls in {where}: nothing was posted. Post the correction in the open "
            f"month (dated {first_open.isoformat()} or later), with a reference to the original entry."
        )
        ValidationError.__init__(self, {field: [self.text]})

    def __str__(self):
        return self.text

    def __reduce__(self):  # keyword-only __init__: pickle (a background job's result) and copy rebuild it so
        return _period_closed, (self.date, self.closed_through, self.field)

    def for_field(self, field: str) -> "PeriodClosed":
        """The same refusal on the caller's own date field (e.g. "paid_on")."""
        return PeriodClosed(date=self.date, closed_through=self.closed_through, field=field)


def _period_closed(date, closed_through, field):
    return PeriodClosed(date=date, closed_through=closed_through, field=field)


def books_closed_through() -> datetime.date | None:
    """The last day of the latest closed month, or None while no month is closed."""
    # From the primary, like every read a posting makes to decide its writes (a replica may lag behind a close).
    periods = AccountingPeriod.objects.using(DEFAULT_DB_ALIAS)
    latest = periods.filter(state__in=CLOSED_STATES).aggregate(latest=Max("month"))["latest"]
    return None if latest is None else month_after(latest) - datetime.timedelta(days=1)


def period_guard(*, dates: Iterable[datetime.date]) -> None:
    """Raise PeriodClosed when any of `dates` falls in a closed month. One query (none for no dates)."""
    dates = [d for d in dates if d is not None]
    if not dates:
        return
    through = books_closed_through()
    if through is None:
        return
    earliest = min(dates)
    if earliest <= through:
        raise PeriodClosed(date=earliest, closed_through=through)
