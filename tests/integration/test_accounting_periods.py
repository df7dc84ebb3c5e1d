"""Accounting periods (issue 18): a month closes maker-checker; nothing posts with a date in a closed month on any
path (single, many, bulk, reversal, the bulk history writer, a raw insert: the database trigger); corrections go to
the open month; reopening needs a reason and another person's approval; every step is in the audit trail."""

import datetime
from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction
from wagtail.models import ModelLogEntry

from portal.finance.journal_rows import JournalRows
from portal.finance.ledger.models import JournalEntry
from portal.finance.ledger.selectors import account_balance
from portal.finance.ledger.services import (
    BulkPosting,
    LedgerError,
    Line,
    Posting,
    ledger_post,
    ledger_post_bulk,
    ledger_post_many,
    ledger_reverse,
)
from portal.finance.periods.guard import PeriodClosed, books_closed_through
from portal.finance.periods.models import AccountingPeriod, PeriodState
from portal.finance.periods.services import (
    PeriodError,
    PeriodOrderError,
    PeriodSameApprover,
    PeriodStateError,
    period_close_approve,
    period_close_request,
    period_reopen_approve,
    period_reopen_request,
    period_request_reject,
)
from portal.loans.jobs import loans_daily
from portal.members import roles
from tests.factories import loan_disbursed

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = datetime.date(2026, 5, 10)
MARCH, APRIL, MAY = datetime.date(2026, 3, 1), datetime.date(2026, 4, 1), datetime.date(2026, 5, 1)


def _lines(amount="100.00", member=None):
    return [Line("1010", debit=D(amount)), Line("2000", credit=D(amount), member_id=member.pk if member else None)]


def _post(key, date, amount="100.00", member=None):
    return ledger_post(memo=f"Deposit {key}", lines=_lines(amount, member), idempotency_key=key, date=date)


@pytest.fixture
def people(staff_user):
    return {"treasurer": staff_user(roles.TREASURER), "admin": staff_user(roles.ADMINISTRATORS)}


@pytest.fixture
def march_closed(clock_at, people, member):
    """Entries in March and April 2026; today is 10 May 2026; March is closed (treasurer asked, administrator
    approved)."""
    clock_at(TODAY)
    march_entry = _post("m1", datetime.date(2026, 3, 15), "1500.00", member).entry
    _post("a1", datetime.date(2026, 4, 5), "200.00", member)
    period_close_request(month=MARCH, by=people["treasurer"], note="March reconciled")
    period_close_approve(month=datetime.date(2026, 3, 31), by=people["admin"])
    return march_entry


def _refused(exc_info, date, month="March 2026"):
    message = str(exc_info.value)
    assert date.isoformat() in message and month in message and "open month" in message
    assert isinstance(exc_info.value, LedgerError)
    assert exc_info.value.message_dict == {"date": [message]}


def test_closing_march_refuses_a_march_date_on_the_single_path_and_april_still_posts(march_closed, member):
    assert books_closed_through() == datetime.date(2026, 3, 31)
    with pytest.raises(PeriodClosed) as refused:
        _post("m2", datetime.date(2026, 3, 31), "50.00", member)
    _refused(refused, datetime.date(2026, 3, 31))
    with pytest.raises(PeriodClosed) as earlier:  # before the closed month too: the books are closed through March
        _post("f1", datetime.date(2026, 2, 10))
    assert "closed through March 2026" in str(earlier.value)
    assert not JournalEntry.objects.filter(idempotency_key__in=["m2", "f1"]).exists()
    assert _post("a2", datetime.date(2026, 4, 1), "50.00", member).created
    assert account_balance(code="2000", member=member) == D("1750.00")
    # A retry of what was posted before the close is still "already posted", not a refusal.
    assert _post("m1", datetime.date(2026, 3, 15), "1500.00", member).created is False


def test_the_many_and_bulk_paths_refuse_a_closed_month_and_post_nothing(march_closed):
    postings = [
        Posting(memo="ok", lines=_lines(), idempotency_key="many:1", date=datetime.date(2026, 5, 2)),
        Posting(memo="late", lines=_lines(), idempotency_key="many:2", date=datetime.date(2026, 3, 9)),
    ]
    with pytest.raises(PeriodClosed) as refused:
        ledger_post_many(postings=postings)
    _refused(refused, datetime.date(2026, 3, 9))
    rows = [("1010", D("10.00"), D("0"), None, None, ""), ("2000", D("0"), D("10.00"), None, None, "")]
    bulk = [
        BulkPosting("bulk:1", "ok", rows, datetime.date(2026, 4, 30)),
        BulkPosting("bulk:2", "late", rows, datetime.date(2026, 3, 30)),
    ]
    with pytest.raises(PeriodClosed) as refused:
        ledger_post_bulk(postings=bulk)
    _refused(refused, datetime.date(2026, 3, 30))
    assert not JournalEntry.objects.filter(idempotency_key__startswith="many:").exists()
    assert not JournalEntry.objects.filter(idempotency_key__startswith="bulk:").exists()
    assert len(ledger_post_many(postings=postings[:1])) == 1
    assert ledger_post_bulk(postings=bulk[:1])[0][1] is True


def test_journal_rows_refuse_a_closed_month(march_closed):
    journal = JournalRows()
    journal.add(
        key="hist:1",
        date=datetime.date(2026, 3, 2),
        memo="history",
        source="demo",
        lines=[("1010", D("5.00"), D("0"), None, None, ""), ("2000", D("0"), D("5.00"), None, None, "")],
    )
    with pytest.raises(PeriodClosed):
        journal.flush()
    assert not JournalEntry.objects.filter(idempotency_key="hist:1").exists()


def test_a_reversal_of_a_closed_month_entry_posts_today_naming_the_original(march_closed, member):
    with pytest.raises(PeriodClosed) as refused:
        ledger_reverse(entry=march_closed, date=datetime.date(2026, 3, 31))
    _refused(refused, datetime.date(2026, 3, 31))
    reversal = ledger_reverse(entry=march_closed).entry
    assert reversal.date == TODAY and reversal.reversal_of_id == march_closed.pk
    assert reversal.source == f"reversal of {march_closed.pk}"
    assert account_balance(code="2000", member=member) == D("200.00")
    assert account_balance(code="2000", member=member, as_of=datetime.date(2026, 3, 31)) == D("1500.00")


def test_the_database_refuses_a_raw_insert_into_a_closed_month(march_closed):
    with pytest.raises(DatabaseError), transaction.atomic():
        JournalEntry.objects.create(
            date=datetime.date(2026, 3, 20), memo="raw", idempotency_key="raw:1", content_hash="x"
        )
    assert not JournalEntry.objects.filter(idempotency_key="raw:1").exists()


def test_reopening_needs_a_reason_and_another_person_and_then_march_posts_again(march_closed, people, member):
    with pytest.raises(PeriodError, match="reason"):
        period_reopen_request(month=MARCH, by=people["treasurer"], reason="  ")
    period_reopen_request(month=MARCH, by=people["treasurer"], reason="Bank charge of March missed")
    with pytest.raises(PeriodClosed):  # still closed while the reopening waits
        _post("m3", datetime.date(2026, 3, 28))
    with pytest.raises(PeriodSameApprover):
        period_reopen_approve(month=MARCH, by=people["treasurer"])
    period = period_reopen_approve(month=MARCH, by=people["admin"])
    assert period.state == PeriodState.OPEN and period.reopen_reason == "Bank charge of March missed"
    assert period.reopened_by == people["admin"] and period.reopen_requested_by == people["treasurer"]
    assert books_closed_through() is None
    assert _post("m3", datetime.date(2026, 3, 28), "25.00", member).created
    assert JournalEntry.objects.filter(idempotency_key="m3").exists()
    logs = ModelLogEntry.objects.filter(content_type__model="accountingperiod", object_id=str(period.pk)).order_by("pk")
    assert [e.action for e in logs] == ["sacco.status"] * 4
    assert [e.data["changes"]["state"]["after"] for e in logs] == [
        "close_requested",
        "closed",
        "reopen_requested",
        "open",
    ]
    assert logs[2].data["reason"] == "Bank charge of March missed" and logs[2].user == people["treasurer"]
    assert logs[3].user == people["admin"] and "Bank charge of March missed" in logs[3].data["summary"]
    assert logs[0].data["reason"] == "March reconciled"


def test_the_requester_cannot_approve_a_close(clock_at, people):
    clock_at(TODAY)
    _post("m1", datetime.date(2026, 3, 15))
    period_close_request(month=MARCH, by=people["treasurer"])
    with pytest.raises(PeriodSameApprover):
        period_close_approve(month=MARCH, by=people["treasurer"])
    assert AccountingPeriod.objects.get(month=MARCH).state == PeriodState.CLOSE_REQUESTED
    assert books_closed_through() is None
    with pytest.raises(PeriodStateError):  # no second request while one waits
        period_close_request(month=MARCH, by=people["admin"])
    period_request_reject(month=MARCH, by=people["admin"], reason="Bank not reconciled yet")
    assert AccountingPeriod.objects.get(month=MARCH).state == PeriodState.OPEN
    with pytest.raises(PeriodStateError):
        period_close_approve(month=MARCH, by=people["admin"])


def test_months_close_in_order_after_they_end_and_only_the_latest_reopens(clock_at, people):
    clock_at(TODAY)
    _post("f1", datetime.date(2026, 2, 27))
    _post("a1", datetime.date(2026, 4, 5))
    with pytest.raises(PeriodOrderError, match="has not ended"):
        period_close_request(month=MAY, by=people["treasurer"])
    with pytest.raises(PeriodOrderError, match="February 2026 has entries"):
        period_close_request(month=APRIL, by=people["treasurer"])
    for month in (datetime.date(2026, 2, 1), MARCH, APRIL):  # March has no entries: it closes all the same
        period_close_request(month=month, by=people["treasurer"])
        period_close_approve(month=month, by=people["admin"])
    assert books_closed_through() == datetime.date(2026, 4, 30)
    with pytest.raises(PeriodOrderError, match="only the latest closed month"):
        period_reopen_request(month=MARCH, by=people["treasurer"], reason="typo")
    with pytest.raises(PeriodOrderError, match="already inside the closed books"):
        period_close_request(month=datetime.date(2026, 1, 1), by=people["treasurer"])
    period_reopen_request(month=APRIL, by=people["admin"], reason="late invoice")
    period_reopen_approve(month=APRIL, by=people["treasurer"])
    assert books_closed_through() == datetime.date(2026, 3, 31)


def test_a_skipped_empty_month_is_inside_the_closed_books(clock_at, people):
    clock_at(TODAY)
    _post("f1", datetime.date(2026, 2, 27))
    for month in (datetime.date(2026, 2, 1), APRIL):  # March (no entries) is not asked to close
        period_close_request(month=month, by=people["treasurer"])
        period_close_approve(month=month, by=people["admin"])
    with pytest.raises(PeriodClosed) as refused:
        _post("m1", datetime.date(2026, 3, 3))
    assert "closed through April 2026" in str(refused.value) and "2026-05-01" in str(refused.value)


def test_interest_due_in_a_closed_month_is_recognised_in_the_open_month(borrower, products, staff_user):
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)  # 15 Jan 2026
    AccountingPeriod.objects.create(month=datetime.date(2026, 2, 1), state=PeriodState.CLOSED)  # setup, not a close
    assert loans_daily(today=datetime.date(2026, 3, 20)).interest_posted == 2  # 15 Feb (closed) and 15 Mar
    first, second = loan.instalments.order_by("number")[:2]
    dates = dict(
        JournalEntry.objects.filter(idempotency_key__startswith="interest:").values_list("idempotency_key", "date")
    )
    assert dates == {
        f"interest:{loan.pk}:1": datetime.date(2026, 3, 1),
        f"interest:{loan.pk}:2": datetime.date(2026, 3, 15),
    }
    assert account_balance(code="1110") == first.interest + second.interest
