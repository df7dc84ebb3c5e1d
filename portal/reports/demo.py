"""Demo report data: last year's statements approved by two committee members (members read them in the portal)
and this year's to date waiting for approval. Idempotent: packs are found by title."""

import datetime

from django.utils import timezone


def reports_seed() -> None:
    from portal.members.models import User

    from .models import FinancialStatement
    from .services import financial_statement_approve, financial_statement_prepare

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
    title = f"Financial statements {today.year} to date"
    if not FinancialStatement.objects.filter(title=title).exists():
        financial_statement_prepare(start=datetime.date(today.year, 1, 1), end=today, title=title, by=treasurer)
