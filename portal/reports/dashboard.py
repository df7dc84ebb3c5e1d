"""The admin dashboard's SACCO panel (R8): members, deposits, share capital, loan book, PAR30, income this year and
the approvals waiting — each read from the ledger or the workflow tables in a handful of queries."""

import datetime
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone
from wagtail.admin.ui.components import Component
from wagtail.models import WorkflowState

from portal.finance.ledger.models import AccountType, JournalLine
from portal.finance.ledger.selectors import account_balance
from portal.loans.selectors import portfolio_report
from portal.members.models import Member, MemberStatus
from portal.society.money import to_cents


def dashboard_figures() -> dict:
    today = timezone.localdate()
    income = JournalLine.objects.filter(
        account__type=AccountType.INCOME, date__gte=datetime.date(today.year, 1, 1), date__lte=today
    ).aggregate(c=Sum("credit"), d=Sum("debit"))
    portfolio = portfolio_report()
    return {
        "members": Member.objects.filter(status=MemberStatus.ACTIVE).count(),
        "deposits": account_balance(code="2000"),
        "share_capital": account_balance(code="3000"),
        "loan_book": account_balance(code="1100"),
        "par30": portfolio.par30,
        "income_ytd": to_cents(str(income["c"] or 0)) - to_cents(str(income["d"] or 0)) or Decimal("0.00"),
        "pending_approvals": WorkflowState.objects.filter(status=WorkflowState.STATUS_IN_PROGRESS).count(),
        "year": today.year,
    }


class SaccoPanel(Component):
    name = "sacco_figures"
    order = 50
    template_name = "reports/admin/dashboard_panel.html"

    def get_context_data(self, parent_context):
        return {"figures": dashboard_figures()}
