"""Member portal: the SACCO's approved financial statements (the AGM pack) — members own the society, so every
member reads every approved pack; a pack still in approval does not exist for them (404) — and my own statement
for a period (R2)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from portal.members.selectors import member_for_user
from portal.reports.exports import statements_response
from portal.reports.forms import PeriodForm
from portal.reports.member_statement import member_statement, member_statement_email, member_statement_pdf
from portal.reports.models import FinancialStatement

from .mixins import MemberAreaMixin


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


class MyStatementView(MemberAreaMixin, TemplateView):
    """My statement for a period (R2): on screen, as a PDF (?output=pdf), or emailed to me (POST)."""

    template_name = "portal/my_statement.html"

    def _period(self, data):
        today = timezone.localdate()
        form = PeriodForm(data or None, initial={"start": today.replace(month=1, day=1), "end": today})
        if form.is_bound and form.is_valid():
            return form, form.cleaned_data["start"], form.cleaned_data["end"]
        if form.is_bound:
            return form, None, None
        return form, today.replace(month=1, day=1), today

    def get(self, request, *args, **kwargs):
        member = member_for_user(user=request.user)
        if member is None:
            raise Http404
        form, start, end = self._period(request.GET)
        statement = member_statement(member=member, start=start, end=end) if start else None
        if statement and request.GET.get("output") == "pdf":
            response = HttpResponse(
                member_statement_pdf(statement, base_url=request.build_absolute_uri("/")),
                content_type="application/pdf",
            )
            response["Content-Disposition"] = f'attachment; filename="statement-{start}-{end}.pdf"'
            return response
        context = self.get_context_data(form=form, s=statement, query=request.GET.urlencode())
        return self.render_to_response(context)

    def post(self, request, *args, **kwargs):
        member = member_for_user(user=request.user)
        if member is None:
            raise Http404
        form, start, end = self._period(request.POST)
        if start:
            member_statement_email(member=member, start=start, end=end)
            messages.success(request, _("Sent to %(email)s.") % {"email": request.user.email})
        return redirect(f"{reverse('member_area:my_statement')}?start={start or ''}&end={end or ''}")
