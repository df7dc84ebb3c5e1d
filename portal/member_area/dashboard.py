"""The member's dashboard: the first page after sign-in."""

from django.views.generic import TemplateView

from portal.contributions.chart import savings_chart
from portal.contributions.selectors import member_balances, savings_series

from .mixins import MemberAreaMixin


class DashboardView(MemberAreaMixin, TemplateView):
    """The first page after sign-in: balances from the ledger, share capital progress and a chart of savings."""

    template_name = "portal/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        member = context["member"]
        if member is not None:
            series = savings_series(member=member, months=24)
            context.update(balances=member_balances(member=member), series=series, chart=savings_chart(series))
        return context
