"""django-tables2 tables for the member portal's savings pages (paginated, exportable as CSV/XLSX)."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from .models import MonthlyContribution, ShareCapitalPayment

TABLE_ATTRS = {"class": "data"}


class StatusColumn(tables.Column):
    def __init__(self, **kwargs):
        super().__init__(accessor="pk", verbose_name=_("Status"), orderable=False, **kwargs)

    def render(self, record):
        return _("Reversed") if record.is_reversed else _("Posted")

    def value(self, record, value):
        return self.render(record)


class ContributionTable(tables.Table):
    period = tables.Column(accessor="period_label", verbose_name=_("Period"), order_by=("period", "date"))
    amount = tables.Column(verbose_name=_("Amount (KES)"), attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    date = tables.DateColumn(format="j M Y", verbose_name=_("Received"))
    reference = tables.Column(empty_values=())
    source = tables.Column(verbose_name=_("How"))
    status = StatusColumn()

    class Meta:
        model = MonthlyContribution
        fields = ("period", "amount", "date", "reference", "source", "status")
        attrs = TABLE_ATTRS
        template_name = "django_tables2/table.html"
        empty_text = _("No contributions yet.")

    def render_amount(self, value):
        return f"{value:,.2f}"

    def value_amount(self, value):
        return value  # exports carry the plain Decimal, not the display text


class ShareCapitalTable(tables.Table):
    date = tables.DateColumn(format="j M Y", verbose_name=_("Received"))
    amount = tables.Column(verbose_name=_("Amount (KES)"), attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    reference = tables.Column(empty_values=())
    source = tables.Column(verbose_name=_("How"))
    status = StatusColumn()

    class Meta:
        model = ShareCapitalPayment
        fields = ("date", "amount", "reference", "source", "status")
        attrs = TABLE_ATTRS
        template_name = "django_tables2/table.html"
        empty_text = _("No share capital payments yet.")

    def render_amount(self, value):
        return f"{value:,.2f}"

    def value_amount(self, value):
        return value  # exports carry the plain Decimal, not the display text
