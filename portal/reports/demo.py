"""Demo report data: last year's statements and year-end SASRA returns approved by two committee members (members
read the statements in the portal; with the appropriation, the AGM pack is ready) and this year's to date waiting
for approval. Idempotent: packs are found by title."""

import datetime

from django.utils import timezone

from portal.members.models import User

from .models import FinancialStatement, SasraReturn, SavedReport
from .saved_reports import saved_report_create, saved_report_run
from .services import (
    financial_statement_approve,
    financial_statement_prepare,
    sasra_return_approve,
    sasra_return_prepare,
)


def reports_seed() -> None:
    staff = {u.email: u for u in User.objects.filter(email__endswith="@sacco.example")}
    treasurer = staff.get("treasurer@sacco.example")
    approvers = [staff.get("committee@sacco.example"), staff.get("committee2@sacco.example")]
    if treasurer is None or None in approvers:
        return
    today = timezone.localdate()
    last_year = today.year - 1
    title = f"Financial statements {last_year} (AGM pack)"
    if not FinancialStatement.objects.filter(title=title).exists():
        pack = financial_statement_prepare(
            start=datetime.date(last_year, 1, 1), end=datetime.date(last_year, 12, 31), title=title, by=treasurer
        )
        for approver in approvers:
            financial_statement_approve(statement=pack, user=approver)
    title = f"SASRA returns 31 Dec {last_year}"
    if not SasraReturn.objects.filter(title=title).exists():
        returns = sasra_return_prepare(as_of=datetime.date(last_year, 12, 31), title=title, by=treasurer)
        for approver in approvers:
            sasra_return_approve(record=returns, user=approver)
    title = f"Financial statements {today.year} to date"
    if not FinancialStatement.objects.filter(title=title).exists():
        financial_statement_prepare(start=datetime.date(today.year, 1, 1), end=today, title=title, by=treasurer)
    saved_reports_seed(staff)


def saved_reports_seed(staff: dict) -> None:
    """Templates a SACCO keeps: the monthly management pack for the treasurer and the auditor, the weekly arrears
    list for the credit committee, and one run of each so the runs list is not empty. Found by name."""
    treasurer = staff.get("treasurer@sacco.example")
    templates = [
        (
            "Monthly management accounts",
            "financial_statements",
            "previous_month",
            "pdf",
            "monthly",
            treasurer,
            ["treasurer@sacco.example", "auditor@sacco.example"],
        ),
        (
            "Weekly loans in arrears",
            "loans_in_arrears",
            "previous_month",
            "xlsx",
            "weekly",
            treasurer,
            ["treasurer@sacco.example", "committee@sacco.example", "committee2@sacco.example"],
        ),
        ("Loan portfolio and provisioning", "loan_portfolio", "previous_month", "pdf", "", treasurer, []),
        ("Member balances at year end", "member_balances", "previous_year", "xlsx", "", treasurer, []),
    ]
    for name, report_type, period, output, frequency, owner, recipients in templates:
        if owner is None or SavedReport.objects.filter(name=name).exists():
            continue
        saved = saved_report_create(
            name=name,
            report_type=report_type,
            period=period,
            output_format=output,
            frequency=frequency,
            recipients=[staff[e] for e in recipients if e in staff],
            by=owner,
        )
        saved_report_run(saved_report=saved, by=owner)
