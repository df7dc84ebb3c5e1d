"""The *Periods* screen under Ledger (issue 18): the months of the books with their state, and the maker-checker
buttons — request or approve a close, request (with a reason) or approve a reopening, turn a request down.

Reading needs `finance.view_accountingperiod` (treasurer, auditors, administrators); acting needs
`finance.close_accountingperiod` (treasurer, administrators). The services refuse the requester as approver."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.dateparse import parse_date

from .guard import books_closed_through
from .models import PeriodState, month_after
from .selectors import period_rows
from .services import (
    PeriodError,
    period_close_approve,
    period_close_request,
    period_reopen_approve,
    period_reopen_request,
    period_request_reject,
)

VIEW, ACT = "finance.view_accountingperiod", "finance.close_accountingperiod"
LISTING = "finance_periods"


def _act(action: str, *, month, by, reason: str):
    if action == "close_request":
        return period_close_request(
            month=month, by=by, note=reason
        ), "Closing {p} requested: another person approves it."
    if action == "close_approve":
        return period_close_approve(month=month, by=by), "{p} is closed: nothing posts with a date in it."
    if action == "reopen_request":
        return period_reopen_request(
            month=month, by=by, reason=reason
        ), "Reopening {p} requested: another person approves it."
    if action == "reopen_approve":
        return period_reopen_approve(month=month, by=by), "{p} is open again."
    if action == "reject":
        return period_request_reject(month=month, by=by, reason=reason), "The request on {p} was turned down."
    raise PeriodError("Unknown action.")


def periods_view(request):
    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    can_act = request.user.has_perm(ACT)
    if request.method == "POST":
        if not can_act:
            raise PermissionDenied
        month = parse_date(request.POST.get("month") or "")
        if month is None:
            messages.error(request, "Choose a month.")
        else:
            try:
                period, done = _act(
                    request.POST.get("action", ""), month=month, by=request.user, reason=request.POST.get("reason", "")
                )
            except PeriodError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, done.format(p=period))
        return redirect(LISTING)
    periods = period_rows()
    closed_through = books_closed_through()
    today = timezone.localdate()
    latest_closed = next((p.month for p in periods if p.is_closed), None)
    for p in periods:  # which buttons to offer (the services check again)
        p.closable = month_after(p.month) <= today and (closed_through is None or p.month > closed_through)
        p.reopenable = p.month == latest_closed
    return TemplateResponse(
        request,
        "finance/admin/periods.html",
        {
            "periods": periods,
            "closed_through": closed_through,
            "can_act": can_act,
            "States": PeriodState,
        },
    )
