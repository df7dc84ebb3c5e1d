"""Forms for the member-facing account pages."""

from django import forms

from .phone import PhoneNumberField


class InvitationAcceptForm(forms.Form):
    """Completing an invitation: choose a password, confirm identity and the by-laws."""

    password1 = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters; not only numbers, not a common password.",
    )
    password2 = forms.CharField(
        label="Repeat the password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    national_id = forms.CharField(label="National ID number", max_length=9)
    phone_number = PhoneNumberField(label="Mobile phone number")
    date_of_birth = forms.DateField(
        label="Date of birth", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    accept_bylaws = forms.BooleanField(label="I have read and accept the by-laws of the society", required=True)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", "The two passwords do not match.")
        return cleaned


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
