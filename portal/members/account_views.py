"""Account pages outside allauth: accepting an invitation, unlocking a locked account by an emailed link."""

from django import forms
from django.contrib import messages as django_messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from .forms import InvitationAcceptForm
from .invitations import InvitationError, invitation_accept, invitation_for_token
from .lockout_services import UnlockLinkError, lockout_unlock_by_link, lockout_unlock_link_send


class InvitationAcceptView(View):
    """GET shows the form (or why the link cannot be used); POST creates the account and signs in."""

    template_name = "account/invitation_accept.html"

    def get(self, request, token):
        try:
            invitation = invitation_for_token(token=token)
        except InvitationError as error:
            return render(
                request,
                "account/invitation_invalid.html",
                {"error": error},
                status=410 if error.reason != "unknown" else 404,
            )
        form = InvitationAcceptForm(initial={"phone_number": invitation.phone_number})
        return render(request, self.template_name, {"form": form, "invitation": invitation})

    def post(self, request, token):
        try:
            invitation = invitation_for_token(token=token)
        except InvitationError as error:
            return render(
                request,
                "account/invitation_invalid.html",
                {"error": error},
                status=410 if error.reason != "unknown" else 404,
            )
        form = InvitationAcceptForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                member = invitation_accept(
                    token=token,
                    password=data["password1"],
                    national_id=data["national_id"],
                    phone_number=data["phone_number"],
                    date_of_birth=data["date_of_birth"],
                    accept_bylaws=data["accept_bylaws"],
                    request=request,
                )
            except InvitationError as error:
                return render(request, "account/invitation_invalid.html", {"error": error}, status=410)
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    form.add_error("password1" if field == "password" else field, messages)
            else:
                login(request, member.user, backend="django.contrib.auth.backends.ModelBackend")
                return redirect("member_area:dashboard")
        return render(request, self.template_name, {"form": form, "invitation": invitation}, status=400)


class UnlockRequestForm(forms.Form):
    email = forms.EmailField(label="Your email address")


class UnlockRequestView(View):
    """'Email me an unlock link' (issue 12): the owner of a locked account lets themselves back in.

    The answer is the same for every address, so the page tells nobody whether an email has an account."""

    template_name = "account/unlock_request.html"

    def get(self, request):
        initial = {"email": request.GET.get("email", "")}
        return render(request, self.template_name, {"form": UnlockRequestForm(initial=initial)})

    def post(self, request):
        form = UnlockRequestForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        lockout_unlock_link_send(email=form.cleaned_data["email"], request=request)
        return render(request, self.template_name, {"sent": True})


class UnlockConfirmView(View):
    """The link from the email. GET only shows a button (mail scanners open links); POST unlocks."""

    template_name = "account/unlock_confirm.html"

    def get(self, request, token):
        return render(request, self.template_name, {})

    def post(self, request, token):
        try:
            lockout_unlock_by_link(token=token, request=request)
        except UnlockLinkError as error:
            return render(request, self.template_name, {"error": error}, status=410)
        django_messages.success(request, _("Your account is unlocked. Sign in now."))
        return redirect("account_login")
