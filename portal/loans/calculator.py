"""The loan calculator's form and result (S2), shared by the public page and the member portal: the schedule, the
fees (fees.py, as disbursement charges them), what is paid out, and what a flat rate really costs."""

from django import forms
from django.utils import timezone

from portal.society.money_fields import MoneyFormField

from .fees import LoanFees, loan_fees
from .models import LoanProduct
from .schedule import Method, flat_effective_annual_rate, schedule_build

__all__ = ["CalculatorForm", "LoanFees", "calculator_context", "loan_fees"]


class CalculatorForm(forms.Form):
    product = forms.ModelChoiceField(queryset=LoanProduct.objects.filter(active=True), empty_label=None)
    amount = MoneyFormField(label="Amount (KES)")
    months = forms.IntegerField(
        label="Term (months)",
        min_value=1,
        max_value=600,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]*", "maxlength": "3"}),
        error_messages={"invalid": "Enter a whole number of months, like 12."},
    )

    def clean(self):
        data = super().clean()
        product, amount, months = data.get("product"), data.get("amount"), data.get("months")
        if product and amount is not None and not product.min_amount <= amount <= product.max_amount:
            self.add_error(
                "amount", f"{product.name} lends from KES {product.min_amount:,.2f} to KES {product.max_amount:,.2f}."
            )
        if product and months is not None and not product.min_term_months <= months <= product.max_term_months:
            self.add_error(
                "months", f"{product.name} runs from {product.min_term_months} to {product.max_term_months} months."
            )
        return data


def calculator_context(params) -> dict:
    products = list(LoanProduct.objects.filter(active=True))
    form = CalculatorForm(params or None)
    context = {"products": products, "form": form, "schedule": None}
    if params and form.is_valid():
        product = form.cleaned_data["product"]
        fees = loan_fees(product=product, amount=form.cleaned_data["amount"])
        schedule = schedule_build(
            principal=fees.principal,
            annual_rate=product.annual_rate,
            months=form.cleaned_data["months"],
            method=product.method,
            start=timezone.localdate(),
            first_due_months=1 + product.grace_months,
        )
        context.update(product=product, schedule=schedule, fees=fees)
        if product.method == Method.FLAT:
            context["effective_rate"] = flat_effective_annual_rate(
                annual_rate=product.annual_rate, months=form.cleaned_data["months"]
            )
    return context
