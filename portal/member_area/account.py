"""The member's account pages: second-factor devices (security), the notification inbox, and the activity log."""

from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.views.generic import TemplateView
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice

from portal.members.selectors import activity_for_user
from portal.notifications.services import notifications_mark_read

from .mixins import MemberAreaMixin


class SecurityView(MemberAreaMixin, TemplateView):
    """Second-factor devices and backup codes (P2 security page)."""

    template_name = "portal/security.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        devices = list(devices_for_user(self.request.user, confirmed=True))
        context["devices"] = [d for d in devices if not isinstance(d, StaticDevice)]
        backup = next((d for d in devices if isinstance(d, StaticDevice)), None)
        context["backup_codes_left"] = backup.token_set.count() if backup else 0
        return context


class ActivityView(MemberAreaMixin, TemplateView):
    """The member's own activity log (M5), newest first, 50 at a time."""

    template_name = "portal/activity.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["entries"] = Paginator(activity_for_user(user=self.request.user), 50).get_page(
            self.request.GET.get("page")
        )
        return context


class NotificationsView(MemberAreaMixin, TemplateView):
    """The inbox (P3): approvals, reminders, guarantor requests and account events. POST marks all read."""

    template_name = "portal/notifications.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["notifications"] = Paginator(self.request.user.notifications.all(), 25).get_page(
            self.request.GET.get("page")
        )
        return context

    def post(self, request):
        notifications_mark_read(user=request.user)
        return redirect("member_area:notifications")
