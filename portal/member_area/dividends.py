"""Member portal: my dividends, year by year, with how each amount was computed (D2)."""

from django.views.generic import TemplateView

from portal.dividends.models import MemberDividend

from .mixins import MemberAreaMixin


class DividendsView(MemberAreaMixin, TemplateView):
    template_name = "portal/dividends.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        member = context["member"]
        context["dividends"] = (
            MemberDividend.objects.filter(member=member).select_related("declaration") if member else []
        )
        return context
