"""Forms shared by the report pages (admin and portal)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .sasra import is_month_end


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["start"] > cleaned["end"]:
            self.add_error("end", _("The period ends before it starts."))
        return cleaned


class MonthEndForm(forms.Form):
    """The SASRA returns' date: the last day of a month."""

    as_of = forms.DateField(label=_("Month end"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def clean_as_of(self):
        day = self.cleaned_data["as_of"]
        if not is_month_end(day):
            raise forms.ValidationError(_("Pick a month end (the last day of a month)."))
        return day


class AgmPackForm(forms.Form):
    """The financial year of an AGM pack."""

    year = forms.IntegerField(label="Financial year", min_value=2000, max_value=2100)
