"""Portal profile pages (M6): contacts, nominees, and bank details behind a fresh second factor."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View

from portal.members.form_stash import form_stash_take
from portal.members.otp_views import fresh_otp_required
from portal.members.profile import member_bank_details_update, member_nominees_replace, member_profile_update
from portal.members.selectors import member_for_user

from .forms import BankDetailsForm, ContactsForm, NomineeFormSet
from .mixins import no_membership_response


def _member_or_404(request):
    # A GET reuses the member MemberRecordRequired has just read (issue 17); a POST reads it afresh.
    member = getattr(request, "_portal_member", None) or member_for_user(user=request.user)
    if member is None:
        raise Http404("No member record")
    return member


class MemberRecordRequired:
    """A signed-in user without a member record gets the no-membership page (where staff work), not a bare 404."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            member = member_for_user(user=request.user)
            if member is None:
                return no_membership_response(request)
            if request.method in ("GET", "HEAD"):
                request._portal_member = member
        return super().dispatch(request, *args, **kwargs)


def _add_errors(form, exc: ValidationError):
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@method_decorator(login_required, name="dispatch")
class ProfileView(MemberRecordRequired, View):
    template_name = "portal/profile.html"

    def _nominee_initial(self, member):
        rows = [
            {
                "full_name": n.full_name,
                "relationship": n.relationship,
                "national_id": n.national_id,
                "phone_number": n.phone_number,
                "share_percent": n.share_percent,
            }
            for n in member.nominees.all()
        ]
        return rows + [{}] * (5 - len(rows))

    def get(self, request, contacts=None, nominees=None, nominee_errors=None, status=200):
        member = _member_or_404(request)
        contacts = contacts or ContactsForm(
            initial={"phone_number": member.phone_number, "postal_address": member.postal_address}
        )
        nominees = nominees or NomineeFormSet(initial=self._nominee_initial(member), prefix="nominees")
        return render(
            request,
            self.template_name,
            {"member": member, "contacts": contacts, "nominees": nominees, "nominee_errors": nominee_errors or []},
            status=status,
        )

    def post(self, request):
        member = _member_or_404(request)
        if "save_contacts" in request.POST:
            contacts = ContactsForm(request.POST)
            if contacts.is_valid():
                try:
                    member_profile_update(
                        member=member, changes=contacts.cleaned_data, by=request.user, request=request
                    )
                except ValidationError as exc:
                    _add_errors(contacts, exc)
                else:
                    messages.success(request, _("Your contacts are saved."))
                    return redirect("member_area:profile")
            return self.get(request, contacts=contacts, status=400)
        nominees = NomineeFormSet(request.POST, prefix="nominees")
        if nominees.is_valid():
            rows = [form.cleaned_data for form in nominees.forms if form.cleaned_data.get("full_name")]
            try:
                member_nominees_replace(member=member, nominees=rows, by=request.user, request=request)
            except ValidationError as exc:
                return self.get(
                    request,
                    nominees=nominees,
                    status=400,
                    nominee_errors=[f"{'; '.join(msgs)}" for msgs in exc.message_dict.values()],
                )
            messages.success(request, _("Your nominees are saved."))
            return redirect("member_area:profile")
        return self.get(request, nominees=nominees, status=400)


@method_decorator(login_required, name="dispatch")
@method_decorator(fresh_otp_required, name="dispatch")
class BankDetailsView(MemberRecordRequired, View):
    """Changing where money is paid out is a sensitive action: it needs a code from the last few minutes."""

    template_name = "portal/bank_details.html"

    def get(self, request):
        member = _member_or_404(request)
        kept = form_stash_take(request=request)
        if kept is not None:  # back from the code page: what the member typed, checked again, to save
            form = BankDetailsForm(kept)
            form.is_valid()
            messages.info(request, _("Your answers are kept. Check them and press “Save bank details” to save them."))
        else:
            form = BankDetailsForm(initial={f: getattr(member, f) for f in BankDetailsForm.base_fields})
        return render(request, self.template_name, {"member": member, "form": form})

    def post(self, request):
        member = _member_or_404(request)
        form = BankDetailsForm(request.POST)
        if form.is_valid():
            try:
                member_bank_details_update(member=member, changes=form.cleaned_data, by=request.user, request=request)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Your bank details are saved. We emailed you a confirmation."))
                return redirect("member_area:profile")
        return render(request, self.template_name, {"member": member, "form": form}, status=400)
