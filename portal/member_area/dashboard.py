"""The member's dashboard: the first page after sign-in. It answers "what do I owe, and when is my next payment?"
first, then savings; the figures are the same selectors GET /api/members/dashboard/ reads."""

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.views.generic import TemplateView

from portal.contributions.chart import savings_chart
from portal.contributions.selectors import (
    balances_annotations,
    member_balances,
    savings_rows,
    savings_series,
    savings_totals,
)
from portal.loans.member_position import member_loan_position
from portal.society.figures_cache import member_figures_get_or_compute
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
            shrink = SaccoSettings.load(self.request).guarantees_shrink  # cached on the request: no query of its own
            # The member's own ledger movements and loan position are cached until a change to them commits
            # (portal/society/figures_cache.py); the variant names what else they depend on. The balances read the
            # schedule and the society's pool from the member query, so they are never cached.
            # "dashboard2": the cached tuple holds the account totals, not the rows (a new shape, a new name).
            totals, position, series, chart, savings_html = member_figures_get_or_compute(
                member_id=member.pk,
                variant=f"dashboard2:{today.isoformat()}:{translation.get_language()}:{int(bool(shrink))}",
                compute=lambda: self._figures(member, today, shrink),
            )
            context.update(
                today=today,
                position=position,
                balances=member_balances(member=member, totals=totals),
                series=series,
                chart=chart,
                savings_html=mark_safe(savings_html),  # noqa: S308 -- our own template's output, escaped when rendered
            )
        return context

    @staticmethod
    def _figures(member, today, shrink):
        rows = savings_rows(member=member)  # one reading of the ledger for the balances and the chart
        series = savings_series(member=member, months=24, rows=rows, today=today)
        position = member_loan_position(member=member, today=today, shrink=shrink)
        chart = savings_chart(series)
        # The chart and its table of 24 months are the costliest part of the page to render: rendered here, once.
        savings_html = str(render_to_string("portal/dashboard_savings.html", {"chart": chart, "series": series}))
        # The balances need only each account's total: summed here once, not from every row on every request.
        return savings_totals(rows), position, series, chart, savings_html
