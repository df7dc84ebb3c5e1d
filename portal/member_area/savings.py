"""Member portal pages for savings: contributions and share capital, each the member's own only."""

from django.http import Http404
from django.views.generic import TemplateView
from django_tables2 import RequestConfig

from portal.contributions.selectors import (
    contribution_years,
    member_balances,
    member_contributions,
    member_share_capital_payments,
)
from portal.contributions.tables import ContributionTable, ShareCapitalTable
from portal.society.csv_safe import safe_table_export

from .mixins import MemberAreaMixin

EXPORT_FORMATS = ("csv", "xlsx")


class _SavingsPage(MemberAreaMixin, TemplateView):
    """Paginated table of the signed-in member's records, filtered by ?year=, exported with ?_export=csv|xlsx."""

    table_class = None
    export_name = ""

    def rows(self, member, year):
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        member = context["member"]
        if member is None:
            raise Http404("Savings pages are for members.")
        year = request.GET.get("year")
        year = int(year) if year and year.isdigit() else None
        table = self.table_class(self.rows(member, year))
        export = request.GET.get("_export")
        if export in EXPORT_FORMATS:
            exporter = safe_table_export(export, table, exclude_columns=())
            return exporter.response(
                f"{self.export_name}-{member.membership_number}{'-' + str(year) if year else ''}.{export}"
            )
        RequestConfig(request, paginate={"per_page": 24}).configure(table)
        context.update(
            table=table,
            year=year,
            years=contribution_years(member=member),
            balances=member_balances(member=member),
        )
        return self.render_to_response(context)


class ContributionsView(_SavingsPage):
    template_name = "portal/contributions.html"
    table_class = ContributionTable
    export_name = "contributions"

    def rows(self, member, year):
        return member_contributions(member=member, year=year)


class ShareCapitalView(_SavingsPage):
    template_name = "portal/share_capital.html"
    table_class = ShareCapitalTable
    export_name = "share-capital"

    def rows(self, member, year):
        return member_share_capital_payments(member=member, year=year)
