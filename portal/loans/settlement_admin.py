"""The admin's *Settle* on a loan (issue 16): the quote by the product rule, then a form that records the settling
payment through `loan_settle_early`. For staff who record repayments (Clerks, Treasurer, Administrators)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.finance.banking.models import BankAccount
from portal.finance.banking.services import bank_account_primary
from portal.society.money_fields import MoneyFormField

from .models import Loan, LoanStatus
from .services import LoanStateError
from .settlement import loan_settle_early, settlement_quote_of

LOANS = "wagtailsnippets_loans_loan:list"


class SettleForm(forms.Form):
    amount = MoneyFormField(help_text="At least the quote; anything above it goes to the member's deposits.")
    reference = forms.CharField(max_length=100, help_text="M-Pesa code or bank slip: the same reference posts once.")
    bank_account = forms.ModelChoiceField(queryset=BankAccount.objects.filter(active=True), empty_label=None)

    def __init__(self, *args, quote=None, **kwargs):
        super().__init__(*args, **kwargs)
        primary = bank_account_primary()
        self.fields["bank_account"].initial = primary.pk if primary else None
        if quote is not None:
            self.fields["amount"].initial = quote.amount


def loan_settle_view(request, pk):
    """GET: the quote for today and the form; POST: settle (the loan closes, its guarantors are released)."""
    if not request.user.has_perm("loans.record_repayment"):
        raise PermissionDenied
    loan = get_object_or_404(Loan.objects.select_related("member__user", "product"), pk=pk)
    if loan.status != LoanStatus.ACTIVE:
        messages.warning(request, _("This loan is not active; there is nothing to settle."))
        return redirect(LOANS)
    quote = settlement_quote_of(loan=loan, as_of=timezone.localdate())
    form = SettleForm(request.POST or None, quote=quote)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = loan_settle_early(
                loan=loan,
                amount=data["amount"],
                reference=data["reference"],
                bank_account=data["bank_account"],
                recorded_by=request.user,
            )
        except LoanStateError as exc:
            messages.error(request, exc.messages[0])
            return redirect(LOANS)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            if result.created:
                messages.success(
                    request,
                    f"Settled with KES {result.repayment.amount:,.2f}; the loan is closed, guarantors released.",
                )
            else:
                messages.warning(request, f"Reference {result.repayment.reference} was already recorded.")
            return redirect(LOANS)
    return TemplateResponse(
        request,
        "loans/admin/settle.html",
        {
            "title": _("Settle early"),
            "loan": loan,
            "quote": quote,
            "form": form,
            "cancel_url": reverse(LOANS),
        },
    )
