"""The member-facing forms: profile (contacts, nominees, bank details), KYC uploads, and the loan application."""

from django import forms

from portal.loans.models import LoanProduct
from portal.loans.services import GuarantorRequest
from portal.members.models import KycDocumentType, Member
from portal.members.phone import PhoneNumberField
from portal.society.money_fields import MoneyFormField

GUARANTOR_ROWS = 3


class ContactsForm(forms.Form):
    phone_number = PhoneNumberField(label="Mobile phone number")
    postal_address = forms.CharField(label="Postal address", max_length=200, required=False)


class BankDetailsForm(forms.Form):
    bank_name = forms.CharField(max_length=100)
    bank_branch = forms.CharField(max_length=100, required=False)
    bank_account_name = forms.CharField(label="Account name", max_length=150)
    bank_account_number = forms.RegexField(
        label="Account number",
        regex=r"^\d{6,20}$",
        max_length=20,
        error_messages={"invalid": "Use 6 to 20 digits, no spaces."},
    )


class NomineeForm(forms.Form):
    full_name = forms.CharField(max_length=150, required=False)
    relationship = forms.CharField(max_length=50, required=False)
    national_id = forms.CharField(label="ID / birth certificate no.", max_length=20, required=False)
    phone_number = PhoneNumberField(required=False)
    share_percent = forms.DecimalField(label="Share (%)", max_digits=5, decimal_places=2, required=False)


NomineeFormSet = forms.formset_factory(NomineeForm, extra=0, max_num=5, absolute_max=5)


class KycUploadForm(forms.Form):
    document_type = forms.ChoiceField(label="Document", choices=KycDocumentType.choices)
    file = forms.FileField(
        label="File",
        help_text="PDF, JPEG or PNG, at most 5 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


class ApplicationForm(forms.Form):
    product = forms.ModelChoiceField(queryset=LoanProduct.objects.filter(active=True), empty_label=None)
    amount = MoneyFormField(label="Amount (KES)")
    term_months = forms.CharField(label="Term (months)", max_length=3)
    purpose = forms.CharField(max_length=255)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, GUARANTOR_ROWS + 1):
            self.fields[f"guarantor_{n}"] = forms.CharField(
                label=f"Guarantor {n}: membership number", max_length=20, required=False
            )
            self.fields[f"guarantee_{n}"] = MoneyFormField(
                label=f"Guarantor {n}: amount guaranteed (KES)", required=False
            )

    def guarantor_requests(self):
        rows = []
        for n in range(1, GUARANTOR_ROWS + 1):
            number = (self.cleaned_data.get(f"guarantor_{n}") or "").strip().upper()
            amount = self.cleaned_data.get(f"guarantee_{n}")
            if number or amount is not None:
                member = Member.objects.filter(membership_number=number).first()
                rows.append(GuarantorRequest(member, "" if amount is None else amount, number))
        return rows
