"""The member area (/portal/): thin views that read through selectors."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from .selectors import member_for_user


class MemberAreaMixin(LoginRequiredMixin):
    """Every member-area view: signed in, and `member` in the context (None for staff without one)."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["member"] = member_for_user(user=self.request.user)
        return context


class DashboardView(MemberAreaMixin, TemplateView):
    """The first page after sign-in: a greeting with the membership number; balances arrive with the ledger."""

    template_name = "portal/dashboard.html"
