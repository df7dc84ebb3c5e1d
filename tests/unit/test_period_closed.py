"""PeriodClosed (issue 18): the refusal of a date in a closed month names the date, the month and the open month;
it is a LedgerError and a ValidationError on the date field (or the caller's own field); the month helpers."""

import copy
import datetime
import pickle

from django.core.exceptions import ValidationError

from portal.finance.ledger.services import LedgerError
from portal.finance.periods.guard import PeriodClosed
from portal.finance.periods.models import month_after, month_start


def test_the_message_names_the_date_the_month_and_where_to_post_instead():
    refused = PeriodClosed(date=datetime.date(2026, 3, 20), closed_through=datetime.date(2026, 3, 31))
    assert str(refused) == (
        "The date 2026-03-20 falls in March 2026, a closed month: nothing was posted. Post the correction in the open "
        "month (dated 2026-04-01 or later), with a reference to the original entry."
    )
    earlier = PeriodClosed(date=datetime.date(2026, 1, 5), closed_through=datetime.date(2026, 3, 31))
    assert "January 2026, and the books are closed through March 2026" in str(earlier)


def test_it_is_a_ledger_error_and_a_validation_error_on_a_field():
    refused = PeriodClosed(date=datetime.date(2026, 3, 20), closed_through=datetime.date(2026, 3, 31))
    assert isinstance(refused, LedgerError) and isinstance(refused, ValidationError)
    assert refused.message_dict == {"date": [str(refused)]}
    moved = refused.for_field("received_on")
    assert moved.message_dict == {"received_on": [str(refused)]} and moved.date == refused.date
    for again in (pickle.loads(pickle.dumps(moved)), copy.deepcopy(moved)):  # noqa: S301 (our own bytes)
        assert again.message_dict == moved.message_dict and str(again) == str(moved)


def test_month_helpers():
    assert month_start(datetime.date(2026, 2, 17)) == datetime.date(2026, 2, 1)
    assert month_after(datetime.date(2026, 12, 1)) == datetime.date(2027, 1, 1)
    assert month_after(datetime.date(2026, 1, 31)) == datetime.date(2026, 2, 1)
