"""Member portal: the SACCO's approved financial statements (the AGM pack). Members own the society, so every
member reads every approved pack; a pack still in approval does not exist for them (404)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView

from portal.members.views import MemberAreaMixin

from .exports import statements_response
from .models import FinancialStatement


def approved_statements():
    return FinancialStatement.objects.filter(live=True)


class StatementsView(MemberAreaMixin, TemplateView):
    template_name = "portal/statements.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["statements"] = approved_statements().only("id", "title", "period_start", "period_end")
        return context


class StatementDetailView(MemberAreaMixin, TemplateView):
    template_name = "portal/statement_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["statement"] = get_object_or_404(approved_statements(), pk=kwargs["pk"])
        return context


@login_required
def statement_pdf_view(request, pk):
    statement = get_object_or_404(approved_statements(), pk=pk)
    return statements_response(data=statement.data, title=statement.title, output="pdf")
