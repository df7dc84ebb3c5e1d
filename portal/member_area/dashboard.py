"""The member's dashboard: the first page after sign-in. It answers "what do I owe, and when is my next payment?"
first, then savings; the figures are the same selectors GET /api/members/dashboard/ reads."""

from django.utils import timezone
from django.views.generic import TemplateView

from portal.contributions.chart import savings_chart
from portal.contributions.selectors import balances_annotations, member_balances, savings_rows, savings_series
from portal.loans.member_position import member_loan_position
from portal.society.models import SaccoSettings

from .mixins import MemberAreaMixin


class DashboardView(MemberAreaMixin, TemplateView):
    """Loans (balance, next instalment, arrears), guarantees, applications in progress and unread messages; then
    balances from the ledger, share capital progress and a chart of savings."""

    template_name = "portal/dashboard.html"

    def member_annotations(self) -> dict:
        return balances_annotations(pool=True)  # the schedule and the pool, read with the member

    def get_context_data(self, **kwargs):
        # The unread count is MemberAreaMixin's `unread_notifications` (the inbox badge): counted once per page.
        context = super().get_context_data(**kwargs)
        member = context["member"]
        if member is not None:
            today = timezone.localdate()
            rows = savings_rows(member=member)  # one reading of the ledger for the balances and the chart
            series = savings_series(member=member, months=24, rows=rows)
            context.update(
                today=today,
                # The page reads the society's settings anyway (cached on the request): no query of its own.
                position=member_loan_position(
                    member=member, today=today, shrink=SaccoSettings.load(self.request).guarantees_shrink
                ),
                balances=member_balances(member=member, rows=rows),
                series=series,
                chart=savings_chart(series),
            )
        return context
