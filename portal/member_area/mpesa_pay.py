""" "Pay with M-Pesa" (issue 15): the member chooses what to pay (next loan instalment, the month's contribution,
share capital, or any amount), confirms the phone, and an STK push asks that phone for the M-Pesa PIN. The status
page shows pending → paid or failed, refreshing itself every few seconds with a <meta> refresh (no script: the site
has a CSP and the page must work without JavaScript).

No fresh second factor: it is asked for where money leaves the member or the member's account changes (loan
application, bank details, guarantees); here money only comes in, and the phone's owner confirms it with their PIN."""

import math
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from portal.contributions.selectors import member_balances
from portal.loans.member_position import member_loan_position
from portal.members.phone import InvalidPhoneNumber, phone_normalise
from portal.mpesa.models import StkStatus
from portal.mpesa.receipts import Purpose
from portal.mpesa.stk import MAX_AMOUNT, StkPushRefused, member_stk_push, stk_push_start
from portal.society.money_fields import MoneyFormField

from .mixins import MemberAreaMixin

LOAN, CONTRIBUTION, SHARE_CAPITAL, OTHER = "loan", "contribution", "share_capital", "other"
PURPOSE_OF = {LOAN: Purpose.LOAN_REPAYMENT, CONTRIBUTION: Purpose.DEPOSITS, SHARE_CAPITAL: Purpose.SHARE_CAPITAL}
REFRESH_SECONDS = 5
# Daraja's common STK result codes, said in the member's language (anything else shows Daraja's own words).
FAILURE_REASONS = {
    "1": gettext_lazy("Your M-Pesa balance was not enough for this payment. Nothing was paid."),
    "1037": gettext_lazy("Your phone could not be reached. Check it is on and has signal, then try again."),
    "2001": gettext_lazy("The M-Pesa PIN was wrong. Nothing was paid; try again."),
    "1019": gettext_lazy("The request expired before it was confirmed. Nothing was paid; try again."),
}


def _whole(amount: Decimal) -> Decimal:
    """M-Pesa takes whole shillings: a suggestion with cents is rounded up, so it never leaves a few cents unpaid."""
    return Decimal(math.ceil(amount)) if amount > 0 else Decimal("0")


def pay_suggestions(*, member) -> dict[str, Decimal]:
    """What each choice would pay: the next instalments of the member's loans (with anything overdue), the month's
    contribution, the next share capital instalment (never beyond the target). A choice with nothing due is left out."""
    today = timezone.localdate()
    suggestions = {}
    position = member_loan_position(member=member, today=today)
    loan_due = Decimal("0")
    for loan in position.loans:
        if loan.arrears is not None:
            loan_due += loan.arrears.amount
        if loan.next_instalment is not None and (loan.arrears is None or loan.next_instalment.due_date >= today):
            loan_due += loan.next_instalment.amount
    if loan_due > 0:
        suggestions[LOAN] = _whole(loan_due)
    balances = member_balances(member=member)
    if balances.monthly_due > 0:
        suggestions[CONTRIBUTION] = _whole(balances.monthly_due)
    progress = balances.share_capital_progress
    remaining = progress.remaining
    if remaining > 0:
        suggestions[SHARE_CAPITAL] = _whole(min(progress.instalment, remaining) or remaining)
    return {key: min(value, MAX_AMOUNT) for key, value in suggestions.items() if value > 0}


class PayForm(forms.Form):
    """What to pay and from which phone. The amount may be left empty for a suggested choice."""

    what = forms.ChoiceField(
        label=gettext_lazy("What are you paying?"),
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose what you are paying.")},
    )
    other_purpose = forms.ChoiceField(
        label=gettext_lazy("Any amount goes to"),
        help_text=gettext_lazy("Only when you pay any amount."),
        choices=Purpose.choices,
        initial=Purpose.DEPOSITS,
        required=False,
    )
    amount = MoneyFormField(
        label=gettext_lazy("Amount (KES)"),
        required=False,
        help_text=gettext_lazy("Whole shillings. Leave empty to pay the amount shown for your choice."),
    )
    phone = forms.CharField(
        label=gettext_lazy("Pay from phone number"),
        max_length=20,
        help_text=gettext_lazy("M-Pesa asks this phone for your PIN."),
        error_messages={"required": gettext_lazy("Enter the phone number to pay from.")},
    )

    def __init__(self, *args, suggestions: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.suggestions = suggestions
        labels = {
            LOAN: _("Next loan instalment"),
            CONTRIBUTION: _("This month's contribution"),
            SHARE_CAPITAL: _("Share capital instalment"),
        }
        choices = [(key, f"{labels[key]} — KES {amount:,.0f}") for key, amount in suggestions.items()]
        choices.append((OTHER, _("Any amount")))
        self.fields["what"].choices = choices
        if suggestions and not self.is_bound:
            self.fields["what"].initial = next(iter(suggestions))
        self.fields["phone"].widget.attrs.update({"autocomplete": "tel", "inputmode": "tel"})
        self.fields["amount"].widget.attrs.update({"inputmode": "numeric"})

    def clean_phone(self):
        try:
            phone = phone_normalise(self.cleaned_data.get("phone"))
        except InvalidPhoneNumber as exc:
            raise ValidationError(str(exc)) from exc
        if not phone:
            raise ValidationError(_("Enter the phone number to pay from."))
        return phone

    def clean(self):
        cleaned = super().clean()
        what = cleaned.get("what")
        amount = cleaned.get("amount")
        if what == OTHER:
            if amount is None and "amount" not in self.errors:
                self.add_error("amount", _("Enter the amount to pay."))
            try:
                cleaned["purpose"] = Purpose(cleaned.get("other_purpose") or Purpose.DEPOSITS)
            except ValueError:
                self.add_error("other_purpose", _("Choose where the money goes."))
        elif what:
            cleaned["purpose"] = PURPOSE_OF[what]
            if amount is None:
                cleaned["amount"] = self.suggestions[what]
        return cleaned

    def service_errors_add(self, error: ValidationError) -> None:
        for field, messages_ in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages_)


class PayView(MemberAreaMixin, TemplateView):
    template_name = "portal/mpesa/pay.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        member = context["member"]
        if "form" not in context:
            context["form"] = PayForm(
                suggestions=pay_suggestions(member=member), initial={"phone": member.phone_number or ""}
            )
        context["recent"] = member.stk_pushes.order_by("-created_at")[:5]
        return context

    def post(self, request, *args, **kwargs):
        member = self.member
        form = PayForm(request.POST, suggestions=pay_suggestions(member=member))
        if form.is_valid():
            data = form.cleaned_data
            try:
                push = stk_push_start(
                    member=member, purpose=data["purpose"], amount=data["amount"], phone=data["phone"]
                )
            except StkPushRefused as exc:
                form.add_error(None, exc.messages)
            except ValidationError as exc:
                form.service_errors_add(exc)
            else:
                if push.status == StkStatus.PENDING:
                    messages.info(request, _("Check your phone and enter your M-Pesa PIN to pay."))
                return redirect("member_area:pay_status", pk=push.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PayStatusView(MemberAreaMixin, TemplateView):
    """One of the member's own pushes (another member's is a 404). While pending, the page refreshes itself."""

    template_name = "portal/mpesa/pay_status.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        push = member_stk_push(member=context["member"], pk=self.kwargs["pk"])
        context.update(
            push=push,
            purpose_label=Purpose(push.purpose).label if push.purpose in Purpose.values else push.purpose,
            refresh_seconds=REFRESH_SECONDS if push.status == StkStatus.PENDING else None,
            failure_reason=FAILURE_REASONS.get(push.result_code) or push.result_desc,
        )
        return context


urlpatterns = [
    path("pay/", PayView.as_view(), name="pay"),
    path("pay/<int:pk>/", PayStatusView.as_view(), name="pay_status"),
]
