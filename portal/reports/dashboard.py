"""The admin dashboard (R8, issue 14): the role's work first — approvals waiting for this person, KYC to review,
check-off files to confirm, loans to disburse, unreconciled bank lines, each a count and a link — then the
society's figures (members, deposits, share capital, loan book, PAR30, income this year) for those who read the
ledger. Each is read in a handful of queries."""

import datetime
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, Min, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext
from wagtail.admin.site_summary import SummaryItem
from wagtail.admin.ui.components import Component
from wagtail.models import TaskState, WorkflowState

from portal.contributions.checkoff_uploads import checkoff_uploads_since
from portal.contributions.models import CheckoffImport
from portal.dividends.models import DividendDeclaration
from portal.finance.banking.models import BankAccount, BankTransaction
from portal.finance.ledger.models import AccountType, JournalLine
from portal.finance.ledger.selectors import account_balance
from portal.loans.models import ApplicationStatus, LoanApplication, LoanReview
from portal.loans.selectors import portfolio_report
from portal.members.models import KycDocument, Member, MemberStatus
from portal.society.money import to_cents
from portal.society.replica import reads_from_replica

from .models import FinancialStatement, SasraReturn

# A check-off preview (portal/contributions/checkoff_uploads.py) older than this is taken as abandoned
# rather than waiting.
CHECKOFF_PREVIEW_DAYS = 7


@dataclass(frozen=True)
class WorkItem:
    """One line of someone's work on the dashboard: a count and where to do it."""

    key: str
    count: int
    text: str
    url: str
    icon: str


# The approvals a role decides: (the workflow's model, the permission that makes it their work, singular and
# plural text, icon). KYC is a review too, with its own wording.
APPROVAL_KINDS = [
    (KycDocument, "members.change_kycdocument", "KYC document to review", "KYC documents to review", "doc-full"),
    (
        LoanReview,
        "loans.decide_loanapplication",
        "loan approval waiting for you",
        "loan approvals waiting for you",
        "tasks",
    ),
    (
        FinancialStatement,
        "reports.change_financialstatement",
        "financial statement waiting for your approval",
        "financial statements waiting for your approval",
        "doc-full-inverse",
    ),
    (
        SasraReturn,
        "reports.change_sasrareturn",
        "SASRA return waiting for your approval",
        "SASRA returns waiting for your approval",
        "doc-full-inverse",
    ),
    (
        DividendDeclaration,
        "dividends.change_dividenddeclaration",
        "dividend declaration waiting for your approval",
        "dividend declarations waiting for your approval",
        "tasks",
    ),
]


def approvals_waiting(user) -> Counter:
    """In-progress workflow steps this person can act on now (in the step's groups, not conflicted, not voted
    yet), counted by model. Wagtail's `reviewable_by` gives the steps of their groups; each task says who acts."""
    counts: Counter = Counter()
    tasks: dict = {}
    states = TaskState.objects.reviewable_by(user).select_related("workflow_state__base_content_type")
    for state in states:
        obj = state.workflow_state.content_object
        if obj is None:
            continue
        if state.task_id not in tasks:
            tasks[state.task_id] = state.task.specific
        if tasks[state.task_id].get_actions(obj, user):
            counts[state.workflow_state.base_content_type.model_class()] += 1
    return counts


def checkoff_files_waiting(*, days: int = CHECKOFF_PREVIEW_DAYS) -> int:
    """Check-off files previewed in the last `days` days and not posted yet (no CheckoffImport with their hash)."""
    previewed = checkoff_uploads_since(since=timezone.now() - datetime.timedelta(days=days))
    if not previewed:
        return 0
    posted = set(CheckoffImport.objects.filter(sha256__in=previewed).values_list("sha256", flat=True))
    return len(previewed - posted)


def _snippet_list_url(model) -> str:
    return reverse(model.snippet_viewset.get_url_name("list"))


def _unreconciled_items() -> list[WorkItem]:
    """Bank statement lines not matched to the books, per active bank account, each linked to its unreconciled
    page over the whole period the unmatched lines span (that page shows this month by default)."""
    today = timezone.localdate()
    rows = (
        BankTransaction.objects.filter(matched_line=None, bank_account__active=True)
        .values("bank_account")
        .annotate(n=Count("pk"), first=Min("date"))
        .order_by("bank_account")
    )
    rows = list(rows)
    url = reverse("finance_unreconciled")
    if not rows:
        text = ngettext("%(n)s unreconciled bank line", "%(n)s unreconciled bank lines", 0) % {"n": 0}
        return [WorkItem("unreconciled", 0, text, url, "link")]
    names = dict(BankAccount.objects.filter(pk__in=[r["bank_account"] for r in rows]).values_list("pk", "name"))
    items = []
    for row in rows:
        text = ngettext("%(n)s unreconciled bank line", "%(n)s unreconciled bank lines", row["n"]) % {"n": row["n"]}
        if len(rows) > 1:
            text = f"{text} ({names[row['bank_account']]})"
        query = urlencode({"bank_account": row["bank_account"], "start": row["first"].isoformat(), "end": today})
        items.append(WorkItem("unreconciled", row["n"], text, f"{url}?{query}", "link"))
    return items


def work_items(user) -> list[WorkItem]:
    """What this person's roles have to do, each with its count (zero included: the desk is clear)."""
    items: list[WorkItem] = []
    kinds = [kind for kind in APPROVAL_KINDS if user.has_perm(kind[1])]
    if kinds:
        waiting = approvals_waiting(user)
        for model, _perm, one, many, icon in kinds:
            n = waiting[model]
            items.append(
                WorkItem(model._meta.model_name, n, f"{n} {ngettext(one, many, n)}", _snippet_list_url(model), icon)
            )
    if user.has_perm("contributions.post_payments"):
        n = checkoff_files_waiting()
        text = ngettext("%(n)s check-off file to confirm", "%(n)s check-off files to confirm", n) % {"n": n}
        items.append(WorkItem("checkoff", n, text, reverse("contributions_checkoff_import"), "upload"))
    if user.has_perm("loans.disburse_loan"):
        n = LoanApplication.objects.filter(status=ApplicationStatus.APPROVED).count()
        text = ngettext("%(n)s approved loan to disburse", "%(n)s approved loans to disburse", n) % {"n": n}
        url = f"{_snippet_list_url(LoanApplication)}?status={ApplicationStatus.APPROVED}"
        items.append(WorkItem("disburse", n, text, url, "arrow-up"))
    if user.has_perm("finance.view_banktransaction"):
        items += _unreconciled_items()
    return items


class WorkSummaryItem(SummaryItem):
    """One work item in the dashboard's summary row, where Wagtail shows its page and document counts."""

    template_name = "reports/admin/work_summary_item.html"

    def __init__(self, request, item: WorkItem, order: int):
        super().__init__(request)
        self.item, self.order = item, order

    def get_context_data(self, parent_context):
        return {"item": self.item}


@reads_from_replica()  # the figures: from the read replica if there is one (the work items stay on the primary)
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
