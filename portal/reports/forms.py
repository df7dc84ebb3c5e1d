"""Forms shared by the report pages (admin and portal)."""

from django import forms
from django.utils.translation import gettext_lazy as _


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["start"] > cleaned["end"]:
            self.add_error("end", _("The period ends before it starts."))
        return cleaned


class AgmPackForm(forms.Form):
    """The financial year of an AGM pack."""

    year = forms.IntegerField(label="Financial year", min_value=2000, max_value=2100)
