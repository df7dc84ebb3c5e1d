"""Account pages outside allauth: accepting an invitation."""

from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views import View

from .forms import InvitationAcceptForm
from .invitations import InvitationError, invitation_accept, invitation_for_token


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
