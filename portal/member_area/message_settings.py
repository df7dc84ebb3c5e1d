"""Portal page "How we reach you" (issue 15): email, SMS or both for each kind of message.

The inbox keeps every message whatever is chosen. A member without a mobile number is told SMS needs one (and
where to add it): until then messages set to SMS only come by email, so nothing is lost.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.generic import View

from portal.notifications.models import CHOOSABLE_KINDS, Channel, MessageKind
from portal.notifications.selectors import member_phone, message_preferences
from portal.notifications.services import message_preferences_set

from .mixins import MemberAreaMixin


class MessageSettingsForm(forms.Form):
    """One email / SMS / both choice per kind of message."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in CHOOSABLE_KINDS:
            self.fields[kind] = forms.ChoiceField(
                label=MessageKind(kind).label, choices=Channel.choices, widget=forms.RadioSelect
            )


class MessageSettingsView(MemberAreaMixin, View):
    template_name = "portal/message_settings.html"

    def _render(self, request, form, status=200):
        context = {
            "member": self.member,
            "form": form,
            # The member is read already (MemberAreaMixin): its number, not a second read through the user.
            "has_phone": bool(self.member.phone_number) if self.member else bool(member_phone(user=request.user)),
        }
        if request.method in ("GET", "HEAD") and getattr(self.member, "unread_count", None) is not None:
            context["unread_notifications"] = self.member.unread_count  # counted with the member (issue 17)
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        return self._render(request, MessageSettingsForm(initial=message_preferences(user=request.user)))

    def post(self, request):
        form = MessageSettingsForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        try:
            message_preferences_set(user=request.user, preferences=form.cleaned_data)
        except ValidationError as exc:  # the form already checks the same rules; kept for a clean 400
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return self._render(request, form, status=400)
        messages.success(request, _("Your message settings are saved."))
        return redirect("member_area:message_settings")
