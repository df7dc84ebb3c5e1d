"""Writes for reports: preparing a financial statement snapshot and acting on its approval workflow."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from portal.workflows.services import workflow_act, workflow_submit

from .financial import financial_statements
from .models import FinancialStatement, SasraReturn
from .sasra import is_month_end, sasra_returns


def financial_statement_prepare(*, start: datetime.date, end: datetime.date, title: str = "", by) -> FinancialStatement:
    """Freeze the statements for a period and send them for approval (the preparer cannot approve them)."""
    data = financial_statements(start=start, end=end)
    title = (title or "").strip() or f"Financial statements {start:%d %b %Y} – {end:%d %b %Y}"
    with transaction.atomic():
        statement = FinancialStatement.objects.create(
            title=title[:150], period_start=start, period_end=end, data=data, prepared_by=by, live=False
        )
        workflow_submit(
            obj=statement,
            by=by,
            missing=ValidationError("No approval workflow is set up for financial statements (Settings → Workflows)."),
        )
    return statement


def financial_statement_approve(*, statement: FinancialStatement, user, action: str = "approve", reason: str = ""):
    """Vote at the workflow's current step as `user` (the seed's approve endpoint; the admin's buttons do the same)."""
    workflow_act(
        obj=statement,
        user=user,
        action=action,
        reason=reason,
        reason_message="Say why the statements are rejected.",
        not_waiting=ValidationError({"statement": ["These statements are not waiting for approval."]}),
        refused="You cannot decide these statements (not an approver, already voted, or you prepared them).",
    )
    statement.refresh_from_db()
    return statement


def sasra_return_prepare(*, as_of: datetime.date, title: str = "", by) -> SasraReturn:
    """Freeze the SASRA returns at a month end and send them for approval (the preparer cannot approve them)."""
    if not is_month_end(as_of):
        raise ValidationError({"as_of": [f"{as_of:%d %b %Y} is not a month end; SASRA returns are for month ends."]})
    data = sasra_returns(as_of=as_of)
    title = (title or "").strip() or f"SASRA returns {as_of:%d %b %Y}"
    with transaction.atomic():
        record = SasraReturn.objects.create(title=title[:150], as_of=as_of, data=data, prepared_by=by, live=False)
        workflow_submit(
            obj=record,
            by=by,
            missing=ValidationError("No approval workflow is set up for SASRA returns (Settings → Workflows)."),
        )
    return record


def sasra_return_approve(*, record: SasraReturn, user, action: str = "approve", reason: str = ""):
    """Vote at the workflow's current step as `user`."""
    workflow_act(
        obj=record,
        user=user,
        action=action,
        reason=reason,
        reason_message="Say why the returns are rejected.",
        not_waiting=ValidationError({"sasra_return": ["These returns are not waiting for approval."]}),
        refused="You cannot decide these returns (not an approver, already voted, or you prepared them).",
    )
    record.refresh_from_db()
    return record
