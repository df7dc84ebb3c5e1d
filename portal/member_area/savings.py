"""Member portal pages for savings: contributions and share capital, each the member's own only."""

import django_tables2 as tables
from django.http import Http404
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
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


class ReceiptColumn(tables.Column):
    """A link to the payment's receipt PDF (issue 18); none for a reversed payment. Not exported."""

    def __init__(self, **kwargs):
        super().__init__(accessor="entry_id", verbose_name=_("Receipt"), orderable=False, exclude_from_export=True)

    def render(self, record, value):
        if record.is_reversed:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("member_area:receipt_pdf", args=[value]), _("PDF"))


class ContributionReceiptTable(ContributionTable):
    receipt = ReceiptColumn()

    class Meta(ContributionTable.Meta):  # django-tables2 does not inherit Meta: the table's class and template
        pass


class ShareCapitalReceiptTable(ShareCapitalTable):
    receipt = ReceiptColumn()

    class Meta(ShareCapitalTable.Meta):
        pass


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
    table_class = ContributionReceiptTable
    export_name = "contributions"

    def rows(self, member, year):
        return member_contributions(member=member, year=year)


class ShareCapitalView(_SavingsPage):
    template_name = "portal/share_capital.html"
    table_class = ShareCapitalReceiptTable
    export_name = "share-capital"

    def rows(self, member, year):
        return member_share_capital_payments(member=member, year=year)
