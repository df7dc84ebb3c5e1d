"""Accounting periods (issue 18): a month of the books, open or closed.

One row per month that has been asked to close (a month without a row is open). Closing and reopening are
maker-checker: one person requests, another approves (portal.finance.periods.services). The books are closed
*through* the latest closed month: no entry may be dated on or before its last day, on any posting path, and the
database refuses such an insert too (finance migration adding the period guard)."""

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSE_REQUESTED = "close_requested", _("Close requested")
    CLOSED = "closed", _("Closed")
    REOPEN_REQUESTED = "reopen_requested", _("Reopen requested")


# States in which nothing posts into the month: a closed month stays closed while its reopening waits for approval.
CLOSED_STATES = (PeriodState.CLOSED, PeriodState.REOPEN_REQUESTED)


class AccountingPeriod(models.Model):
    """One calendar month of the books. `month` is its first day. `state` moves open → close requested → closed
    → reopen requested → open; a request can be rejected (back to the state before it). `requested_by` /
    `requested_at` / `request_reason` describe the pending request; the last close and the last reopening keep who
    requested and approved them. Every step is in the audit trail with its reason."""

    month = models.DateField(_("month"), unique=True, help_text=_("The first day of the month."))
    state = models.CharField(_("state"), max_length=20, choices=PeriodState.choices, default=PeriodState.OPEN)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(null=True, blank=True)
    request_reason = models.TextField(blank=True)
    closed_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    reopen_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopen_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-month"]
        verbose_name = _("accounting period")
        verbose_name_plural = _("accounting periods")
        permissions = [
            ("close_accountingperiod", "Can request and approve closing or reopening a month"),
        ]

    def __str__(self):
        return self.month.strftime("%B %Y")

    @property
    def is_closed(self) -> bool:
        return self.state in CLOSED_STATES

    @property
    def month_end(self) -> datetime.date:
        return month_after(self.month) - datetime.timedelta(days=1)


def month_start(date: datetime.date) -> datetime.date:
    return date.replace(day=1)


def month_after(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
