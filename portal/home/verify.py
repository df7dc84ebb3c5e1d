"""The public /verify/ page (issue 18): whoever holds a receipt, statement or dividend advice scans its QR code (or
types the address under it) and learns whether it matches the society's books — and nothing more.

A plain GET form with one field, `ref`, answered on the server: no JavaScript, the site's one stylesheet, a few
kilobytes of HTML. What an answer shows is decided once in portal/society/document_refs.py: the kind, and only when
the document matches, its date or period and (receipts, dividend advices) its amount — never a name or a balance.
Counted per client address (NUM_PROXIES decides what that is): VERIFY_CHECKS_PER_MINUTE, then 429.
"""

import time

from django import forms
from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from portal.members.activity import client_ip
from portal.society.document_refs import MAX_REF_LENGTH, Status, document_verify

VERIFY_CHECKS_PER_MINUTE = 30


class VerifyForm(forms.Form):
    ref = forms.CharField(
        label=_("Document reference"),
        max_length=MAX_REF_LENGTH,
        strip=True,
        help_text=_("Scan the QR code on the document, or type the reference printed under it."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"}),
    )


def verify_allowed(*, address: str | None) -> bool:
    """Count one check from this address and say whether it is within VERIFY_CHECKS_PER_MINUTE this clock minute."""
    key = f"document-verify:{address or 'unknown'}:{int(time.time() // 60)}"
    cache.add(key, 0, timeout=90)
    try:
        return cache.incr(key) <= VERIFY_CHECKS_PER_MINUTE
    except ValueError:  # the key expired between add and incr
        return True


@require_safe
def verify_view(request):
    """GET only (a HEAD too): the form, and with `?ref=` the answer."""
    form = VerifyForm(request.GET if "ref" in request.GET else None)
    context = {"form": form, "verdict": None, "throttled": False}
    status = 200
    if form.is_bound:
        if not verify_allowed(address=client_ip(request)):
            context["throttled"], status = True, 429
        elif form.is_valid():
            context["verdict"] = document_verify(form.cleaned_data["ref"])
        else:
            status = 400
    context["Status"] = Status
    response = render(request, "home/verify.html", context, status=status)
    # The answer follows the books (never cached), and the reference stays out of other sites' logs.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response
