"""Admin for the year-end close (issue 18), under *Ledger*: *Year-end closes* (the closes, with *Close a year*:
the closing entry previewed from the ledger, then posted) and *Surplus appropriations* (approved in the "Surplus
appropriation" workflow, with *Prepare an appropriation*). Views stay thin: the services decide."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from wagtail import hooks
from wagtail.admin.panels import Panel
from wagtail.admin.ui.tables import Column
from wagtail.admin.widgets import HeaderButton
from wagtail.snippets.views.snippets import SnippetViewSet

from portal.society.list_exports import ExportingIndexView
from portal.society.money_fields import MoneyFormField
from portal.society.policy import sacco_settings
from portal.workflows.permissions import ReviewOnlyPermissionPolicy
from portal.workflows.views import ApprovalIndexView, ApprovalInspectView, ApprovalWorkflowActionView, ReviewEditView

from ..ledger.models import Account
from ..permissions import ReadOnlyPermissionPolicy
from .models import SurplusAppropriation, YearClose
from .services import (
    appropriation_prepare,
    reserve_accounts,
    statutory_minimum,
    year_close,
    year_close_lines,
)

OTHER_RESERVE_ROWS = 3
CLOSE_PERMISSION, PREPARE_PERMISSION = "finance.close_year", "finance.prepare_surplusappropriation"


def _form_errors(form, exc: ValidationError) -> None:
    """A service's ValidationError under the form's fields (other_reserves under the first reserve row)."""
    items = exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]
    for field, errors in items:
        if field == "other_reserves":
            field = "reserve_1_account"
        form.add_error(field if field in form.fields else None, errors)


class CloseForm(forms.Form):
    financial_year = forms.IntegerField(min_value=2000, max_value=9999)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["financial_year"].initial = timezone.localdate().year - 1


def close_view(request):
    """Close a year: *Preview* lists the closing entry's lines from the ledger; *Close the year* posts it."""
    if not request.user.has_perm(CLOSE_PERMISSION):
        raise PermissionDenied
    form = CloseForm(request.POST or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        year = form.cleaned_data["financial_year"]
        if "close" in request.POST:
            try:
                closed = year_close(financial_year=year, by=request.user)
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, f"{year} is closed: surplus KES {closed.surplus:,.2f} moved to 3300.")
                return redirect("wagtailsnippets_finance_yearclose:list")
        else:
            lines, income, expenses = year_close_lines(financial_year=year)
            names = dict(Account.objects.values_list("code", "name"))
            preview = {
                "lines": [(line, names.get(line.account, "")) for line in lines],
                "income": income,
                "expenses": expenses,
                "surplus": income - expenses,
            }
    return TemplateResponse(request, "finance/yearend/close.html", {"form": form, "preview": preview})


class AppropriationForm(forms.Form):
    financial_year = forms.IntegerField(min_value=2000, max_value=9999)
    statutory_reserve = MoneyFormField(label="Statutory reserve (3100), KES", allow_zero=True)
    dividends = MoneyFormField(label="Set aside for dividends on share capital, KES", allow_zero=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["financial_year"].initial = timezone.localdate().year - 1
        choices = [("", "—")] + [(a.code, f"{a.code} {a.name}") for a in reserve_accounts()]
        for n in range(1, OTHER_RESERVE_ROWS + 1):
            self.fields[f"reserve_{n}_account"] = forms.ChoiceField(
                label=f"Other reserve {n}", choices=choices, required=False
            )
            self.fields[f"reserve_{n}_amount"] = MoneyFormField(
                label=f"Other reserve {n}, KES", required=False, allow_zero=True
            )

    def clean(self):
        data = super().clean()
        reserves = []
        for n in range(1, OTHER_RESERVE_ROWS + 1):
            code, amount = data.get(f"reserve_{n}_account"), data.get(f"reserve_{n}_amount")
            if code and not amount:
                self.add_error(f"reserve_{n}_amount", "Give the amount for this reserve.")
            elif amount and not code:
                self.add_error(f"reserve_{n}_account", "Choose the reserve account.")
            elif code:
                reserves.append((code, amount))
        data["other_reserves"] = reserves
        return data

    def terms(self) -> dict:
        data = self.cleaned_data
        return {
            "financial_year": data["financial_year"],
            "statutory_reserve": data["statutory_reserve"] or Decimal("0.00"),
            "dividends": data["dividends"] or Decimal("0.00"),
            "other_reserves": data["other_reserves"],
        }


def appropriate_view(request):
    """Prepare the appropriation of a closed year's surplus and send it for approval."""
    if not request.user.has_perm(PREPARE_PERMISSION):
        raise PermissionDenied
    form = AppropriationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            record = appropriation_prepare(**form.terms(), by=request.user)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"{record} is prepared and waiting for approval.")
            return redirect("wagtailsnippets_finance_surplusappropriation:list")
    closes = list(YearClose.objects.all()[:5])
    rate = sacco_settings().statutory_reserve_rate
    for close in closes:
        close.statutory_minimum = statutory_minimum(close.surplus, max(rate, Decimal("20")))
    return TemplateResponse(request, "finance/yearend/appropriate.html", {"form": form, "closes": closes, "rate": rate})


class YearCloseIndexView(ExportingIndexView):
    @property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if self.request.user.has_perm(CLOSE_PERMISSION):
            buttons.append(HeaderButton("Close a year", url=reverse("finance_year_close"), icon_name="lock"))
        return buttons


class YearCloseViewSet(SnippetViewSet):
    """The closed years: the surplus each moved to 3300, who closed it and the entry."""

    model = YearClose
    index_view_class = YearCloseIndexView
    permission_policy = ReadOnlyPermissionPolicy(YearClose)
    icon = "lock"
    menu_label = "Year-end closes"
    inspect_view_enabled = True
    list_display = ["financial_year", "income", "expenses", "surplus", "closed_by", "closed_at"]
    list_export = ["financial_year", "income", "expenses", "surplus", "closed_at"]
    export_filename = "year-end-closes"
    inspect_view_fields = ["financial_year", "income", "expenses", "surplus", "entry", "closed_by", "closed_at"]


class AppropriationPanel(Panel):
    class BoundPanel(Panel.BoundPanel):
        template_name = "finance/yearend/appropriation_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context["appropriation"] = self.instance
            return context


class AppropriationIndexView(ApprovalIndexView):
    subject_label = "Appropriation"

    @property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if self.request.user.has_perm(PREPARE_PERMISSION):
            url = reverse("finance_year_appropriate")
            buttons.append(HeaderButton("Prepare an appropriation", url=url, icon_name="plus"))
        return buttons


class AppropriationInspectView(ApprovalInspectView):
    detail_template_name = "finance/yearend/appropriation_panel.html"

    def get_case_context(self) -> dict:
        return {"appropriation": self.object}


class SurplusAppropriationViewSet(SnippetViewSet):
    """Appropriations in the "Surplus appropriation" workflow: approvers open one and choose Approve or Reject;
    readers open a read-only page."""

    model = SurplusAppropriation
    index_view_class = AppropriationIndexView
    edit_view_class = ReviewEditView
    workflow_action_view_class = ApprovalWorkflowActionView
    inspect_view_enabled = True
    inspect_view_class = AppropriationInspectView
    permission_policy = ReviewOnlyPermissionPolicy(SurplusAppropriation)
    icon = "pick"
    menu_label = "Surplus appropriations"
    list_display = [Column("financial_year", label="Year"), Column("state", label="Status"), "prepared_at"]
    list_export = ["financial_year", "surplus", "statutory_reserve", "dividends", "retained_earnings", "prepared_at"]
    export_filename = "surplus-appropriations"
    panels = [AppropriationPanel(heading="Appropriation")]


@hooks.register("register_admin_urls")
def year_end_admin_urls():
    return [
        path("ledger/year-end/close/", close_view, name="finance_year_close"),
        path("ledger/year-end/appropriate/", appropriate_view, name="finance_year_appropriate"),
    ]
