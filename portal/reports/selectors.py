"""Reads for saved reports and their runs: what a user may see is decided by each report type's permission."""

from .catalogue import REPORT_TYPES
from .models import FinancialStatement, Report, SavedReport


def report_allowed(user, report_type) -> bool:
    return bool(user and user.is_active and user.has_perm(report_type.permission))


def _allowed_keys(user) -> list[str]:
    return [key for key, kind in REPORT_TYPES.items() if report_allowed(user, kind)]


def reports_visible(user):
    """The runs a user may read: those of report types they hold the permission for."""
    return Report.objects.filter(report_type__in=_allowed_keys(user)).select_related("requested_by", "saved_report")


def saved_reports_visible(user):
    return SavedReport.objects.filter(report_type__in=_allowed_keys(user)).select_related("owner", "schedule")


def financial_statements_visible_to(*, user):
    """Every statement pack for staff who may read them (drafts and packs in approval too); approved (live) packs
    for everyone else who is signed in; none when signed out."""
    if user is None or not user.is_authenticated:
        return FinancialStatement.objects.none()
    if user.has_perm("reports.view_financialstatement"):
        return FinancialStatement.objects.all()
    return FinancialStatement.objects.filter(live=True)
