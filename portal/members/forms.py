"""Forms for the account pages (accepting an invitation); the member portal's own forms are in
portal.member_area.forms."""

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
