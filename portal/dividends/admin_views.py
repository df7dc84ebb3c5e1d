"""Admin: declare dividends for a year — the form, a per-member preview from the ledger, then "prepare for
approval" (the treasurer prepares; two approvers decide in the workflow, whose end posts)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone

from portal.society.policy import sacco_settings

from .compute import dividend_compute
from .models import Basis, DividendDeclaration, Method, Payout
from .services import dividend_prepare

PREVIEW_ROWS = 100


class DeclarationForm(forms.Form):
    financial_year = forms.IntegerField(min_value=2000)
    method = forms.ChoiceField(choices=Method.choices)
    share_capital_rate = forms.DecimalField(
        label="Dividend rate on share capital (%)", min_value=0, max_value=100, decimal_places=4, initial=0
    )
    deposit_rate = forms.DecimalField(
        label="Interest rate on deposits (%)", min_value=0, max_value=100, decimal_places=4, initial=0
    )
    pool = forms.DecimalField(label="Pool (KES), pool method only", min_value=0, decimal_places=2, initial=0)
    share_capital_basis = forms.ChoiceField(choices=Basis.choices)
    withholding_tax_rate = forms.DecimalField(label="Withholding tax (%)", min_value=0, max_value=100, decimal_places=4)
    include_inactive = forms.BooleanField(required=False, label="Include members who exited or are on hold")
    payout = forms.ChoiceField(choices=Payout.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["financial_year"].initial = timezone.localdate().year - 1
        self.fields["withholding_tax_rate"].initial = sacco_settings().withholding_tax_rate


def declare_view(request):
    if not request.user.has_perm("dividends.prepare_dividenddeclaration"):
        raise PermissionDenied
    form = DeclarationForm(request.POST or None)
    run = None
    if request.method == "POST" and form.is_valid():
        terms = form.cleaned_data
        if "prepare" in request.POST:
            try:
                declaration = dividend_prepare(**terms, by=request.user)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]:
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, f"{declaration} is prepared and waiting for approval.")
                return redirect("wagtailsnippets_dividends_dividenddeclaration:list")
        else:
            run = dividend_compute(declaration=DividendDeclaration(**terms))
    return TemplateResponse(
        request,
        "dividends/admin/declare.html",
        {"form": form, "run": run, "rows": run.rows[:PREVIEW_ROWS] if run else [], "limit": PREVIEW_ROWS},
    )
