"""/portal/leaving/ (issue 16): the member gives notice to leave the SACCO, then follows their exit here (the notice
period, the settlement's figures, the refund and when it was paid). The settlement itself is the office's
(portal/loans/membership_exit.py)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from portal.loans.membership_exit import exit_notice_give
from portal.members.models import MemberExit
from portal.society.policy import sacco_settings

from .mixins import MemberAreaMixin


class NoticeForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why are you leaving? (optional)"), max_length=255, required=False)
    confirm = forms.BooleanField(
        label=gettext_lazy("I give notice to leave the SACCO. My loans will be offset against my deposits.")
    )


class LeavingView(MemberAreaMixin, TemplateView):
    template_name = "portal/leaving.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["exit"] = MemberExit.objects.filter(member=self.member).prefetch_related("payables").first()
        context["notice_days"] = sacco_settings().exit_notice_days
        context.setdefault("form", NoticeForm())
        return context

    def post(self, request, *args, **kwargs):
        form = NoticeForm(request.POST)
        if form.is_valid():
            try:
                exit_notice_give(member=self.member, by=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, _("Your notice is recorded. The office will settle your exit."))
                return redirect("member_area:leaving")
        return self.render_to_response(self.get_context_data(form=form))
