"""One form field template (issue 14 review): includes/form_field.html is portal/form_field.html with `error_alert`,
so the two cannot drift apart; each keeps the output its pages had (the error line is the only difference)."""

import re

from django import forms
from django.template.loader import render_to_string


class _Form(forms.Form):
    amount = forms.DecimalField(label="Amount (KES)", help_text="For example 1,500.")
    agree = forms.BooleanField(label="I agree", required=False)


def _render(template: str, field) -> str:
    return re.sub(r"\s+", " ", render_to_string(template, {"field": field})).strip()


def test_the_error_line_is_the_only_difference():
    form = _Form({"amount": "lots"})
    assert not form.is_valid()
    portal = _render("portal/form_field.html", form["amount"])
    shared = _render("includes/form_field.html", form["amount"])
    assert '<p class="field__error" id="id_amount_error">Enter a number.</p>' in portal
    assert '<p class="field__error" id="id_amount_error" role="alert">Amount (KES): Enter a number.</p>' in shared
    error = re.compile(r'<p class="field__error".*?</p>')
    assert error.sub("", portal) == error.sub("", shared)
    assert '<p class="field__help" id="id_amount_helptext">For example 1,500.</p>' in shared
    assert 'aria-describedby="id_amount_helptext id_amount_error"' in shared


def test_without_errors_both_render_the_same():
    form = _Form()
    for name in ("amount", "agree"):
        assert _render("portal/form_field.html", form[name]) == _render("includes/form_field.html", form[name])
    assert "field--checkbox" in _render("includes/form_field.html", form["agree"])
