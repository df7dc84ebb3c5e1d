"""*Reports → AGM pack* in the admin: pick a financial year, see which parts are approved, download the PDF."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from .agm_pack import AgmPackNotReady, agm_pack_parts, agm_pack_pdf
from .forms import AgmPackForm

VIEW_LEDGER = "finance.view_journalentry"


def agm_pack_view(request):
    """The year's parts, or what is still missing; `?year=YYYY&download=1` sends the PDF."""
    if not request.user.has_perm(VIEW_LEDGER):
        raise PermissionDenied
    form = AgmPackForm(request.GET or None, initial={"year": timezone.localdate().year - 1})
    parts, problem = None, ""
    if form.is_bound and form.is_valid():
        year = form.cleaned_data["year"]
        try:
            if request.GET.get("download"):
                return agm_pack_response(year=year)
            parts = agm_pack_parts(year=year)
        except AgmPackNotReady as error:
            problem = " ".join(error.message_dict["year"])
    return TemplateResponse(request, "reports/admin/agm_pack.html", {"form": form, "parts": parts, "problem": problem})


def agm_pack_response(*, year: int) -> HttpResponse:
    response = HttpResponse(agm_pack_pdf(year=year), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="agm-pack-{year}.pdf"'
    return response
