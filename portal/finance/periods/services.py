"""Closing and reopening a month of the books (issue 18), maker-checker.

- `period_close_request` — someone asks to close a month that has ended, once every earlier month with entries is
  closed (months close in order);
- `period_close_approve` — another person approves: from then on nothing posts with a date in that month (or
  before it), on any path;
- `period_reopen_request(reason=…)` — someone asks to reopen the latest closed month, saying why;
- `period_reopen_approve` — another person approves; the month is open again;
- `period_request_reject` — a pending request is turned down (or withdrawn), back to the state before it.

Each step locks the month's row (select_for_update) and is written to the audit trail with its reason. The
requester of a step never approves it."""

import datetime

from django.db import transaction
from django.utils import timezone

from portal.audit.services import STATUS, audit_log
from portal.finance.ledger.models import JournalEntry

from .guard import books_closed_through
from .models import CLOSED_STATES, AccountingPeriod, PeriodState, month_after, month_start


class PeriodError(ValueError):
    """A closing or reopening step that must not happen. Nothing changed."""


class PeriodOrderError(PeriodError):
    """Months close in order and only after they end; only the latest closed month reopens."""


class PeriodStateError(PeriodError):
    """The month is not in the state this step needs (e.g. approving a close nobody requested)."""


class PeriodSameApprover(PeriodError):
    """The person who requested a step cannot approve it (maker-checker)."""


def _label(month: datetime.date) -> str:
    return month.strftime("%B %Y")


def _locked(month: datetime.date, *, create: bool = False) -> AccountingPeriod:
    month = month_start(month)
    rows = AccountingPeriod.objects.select_for_update()
    if create:
        period, _ = rows.get_or_create(month=month)
        return rows.get(pk=period.pk)
    try:
        return rows.get(month=month)
    except AccountingPeriod.DoesNotExist:
        raise PeriodStateError(f"{_label(month)} is open: there is no request to act on.") from None


def _check_can_close(month: datetime.date) -> None:
    """Ended, not already inside the closed books, and no earlier month with entries still open."""
    if month_after(month) > timezone.localdate():
        raise PeriodOrderError(f"{_label(month)} has not ended yet: a month closes only after its last day.")
    through = books_closed_through()
    if through is not None and month <= through:
        raise PeriodOrderError(
            f"{_label(month)} is already inside the closed books (closed through {_label(through)})."
        )
    earlier = JournalEntry.objects.filter(date__lt=month)
    if through is not None:
        earlier = earlier.filter(date__gt=through)
    first = earlier.order_by("date").values_list("date", flat=True).first()
    if first is not None:
        raise PeriodOrderError(
            f"{_label(month_start(first))} has entries and is not closed: months close in order, close it first."
        )


def _audit(period: AccountingPeriod, *, by, before: str, summary: str, reason: str = "") -> None:
    audit_log(
        instance=period,
        action=STATUS,
        by=by,
        summary=f"{summary} Reason: {reason}" if reason else summary,
        changes={"state": {"before": before, "after": period.state}},
        data={"month": period.month.isoformat(), "reason": reason},
    )


@transaction.atomic
def period_close_request(*, month: datetime.date, by, note: str = "") -> AccountingPeriod:
    """Ask to close `month` (any day in it). Refused unless the month has ended, every earlier month with entries is
    closed, and no request is pending."""
    period = _locked(month, create=True)
    if period.state != PeriodState.OPEN:
        raise PeriodStateError(f"{period} is {period.get_state_display().lower()}: it cannot be asked to close.")
    _check_can_close(period.month)
    before = period.state
    period.state = PeriodState.CLOSE_REQUESTED
    period.requested_by = by
    period.requested_at = timezone.now()
    period.request_reason = note.strip()
    period.save()
    _audit(period, by=by, before=before, summary=f"Closing {period} requested.", reason=period.request_reason)
    return period


@transaction.atomic
def period_close_approve(*, month: datetime.date, by) -> AccountingPeriod:
    """Approve the pending close of `month`: from now nothing posts with a date in it. The requester cannot approve."""
    period = _locked(month)
    if period.state != PeriodState.CLOSE_REQUESTED:
        raise PeriodStateError(f"{period} is {period.get_state_display().lower()}: there is no close to approve.")
    if by is None or period.requested_by_id == by.pk:
        raise PeriodSameApprover(f"Another person approves closing {period}: not the one who requested it.")
    _check_can_close(period.month)
    before = period.state
    period.state = PeriodState.CLOSED
    period.closed_requested_by_id = period.requested_by_id
    period.closed_by = by
    period.closed_at = timezone.now()
    reason = period.request_reason
    period.requested_by, period.requested_at, period.request_reason = None, None, ""
    period.save()
    _audit(period, by=by, before=before, summary=f"{period} closed.", reason=reason)
    return period


@transaction.atomic
def period_reopen_request(*, month: datetime.date, by, reason: str) -> AccountingPeriod:
    """Ask to reopen `month`, the latest closed month, giving a reason (required; it goes into the audit trail)."""
    reason = (reason or "").strip()
    if not reason:
        raise PeriodError("Give the reason for reopening the month.")
    period = _locked(month)
    if period.state != PeriodState.CLOSED:
        raise PeriodStateError(f"{period} is {period.get_state_display().lower()}: only a closed month can reopen.")
    later = AccountingPeriod.objects.filter(month__gt=period.month, state__in=CLOSED_STATES).order_by("month").first()
    if later is not None:
        raise PeriodOrderError(f"{later} is closed after {period}: only the latest closed month can be reopened.")
    before = period.state
    period.state = PeriodState.REOPEN_REQUESTED
    period.requested_by = by
    period.requested_at = timezone.now()
    period.request_reason = reason
    period.save()
    _audit(period, by=by, before=before, summary=f"Reopening {period} requested.", reason=reason)
    return period


@transaction.atomic
def period_reopen_approve(*, month: datetime.date, by) -> AccountingPeriod:
    """Approve the pending reopening of `month`: postings dated in it are accepted again. The requester cannot
    approve."""
    period = _locked(month)
    if period.state != PeriodState.REOPEN_REQUESTED:
        raise PeriodStateError(f"{period} is {period.get_state_display().lower()}: there is no reopening to approve.")
    if by is None or period.requested_by_id == by.pk:
        raise PeriodSameApprover(f"Another person approves reopening {period}: not the one who requested it.")
    before = period.state
    reason = period.request_reason
    period.state = PeriodState.OPEN
    period.reopen_requested_by_id = period.requested_by_id
    period.reopened_by = by
    period.reopened_at = timezone.now()
    period.reopen_reason = reason
    period.requested_by, period.requested_at, period.request_reason = None, None, ""
    period.save()
    _audit(period, by=by, before=before, summary=f"{period} reopened.", reason=reason)
    return period


@transaction.atomic
def period_request_reject(*, month: datetime.date, by, reason: str = "") -> AccountingPeriod:
    """Turn down (or withdraw) the pending request on `month`: a close request leaves it open, a reopen request
    leaves it closed."""
    period = _locked(month)
    if period.state == PeriodState.CLOSE_REQUESTED:
        after, what = PeriodState.OPEN, "Closing"
    elif period.state == PeriodState.REOPEN_REQUESTED:
        after, what = PeriodState.CLOSED, "Reopening"
    else:
        raise PeriodStateError(f"{period} has no pending request.")
    before = period.state
    period.state = after
    period.requested_by, period.requested_at, period.request_reason = None, None, ""
    period.save()
    _audit(period, by=by, before=before, summary=f"{what} {period} turned down.", reason=(reason or "").strip())
    return period
