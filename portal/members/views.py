"""The member area (/portal/): thin views that read through selectors."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from .selectors import member_for_user


class MemberAreaMixin(LoginRequiredMixin):
    """Every member-area view: signed in, and `member` in the context (None for staff without one)."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["member"] = member_for_user(user=self.request.user)
        context["unread_notifications"] = self.request.user.notifications.filter(read_at__isnull=True).count()
        return context


class DashboardView(MemberAreaMixin, TemplateView):
    """The first page after sign-in: balances from the ledger, share capital progress and a chart of savings."""

    template_name = "portal/dashboard.html"

    def get_context_data(self, **kwargs):
        from portal.contributions.chart import savings_chart
        from portal.contributions.selectors import member_balances, savings_series

        context = super().get_context_data(**kwargs)
        member = context["member"]
        if member is not None:
            series = savings_series(member=member, months=24)
            context.update(balances=member_balances(member=member), series=series, chart=savings_chart(series))
        return context


class SecurityView(MemberAreaMixin, TemplateView):
    """Second-factor devices and backup codes (P2 security page)."""

    template_name = "portal/security.html"

    def get_context_data(self, **kwargs):
        from django_otp import devices_for_user
        from django_otp.plugins.otp_static.models import StaticDevice

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
        from django.core.paginator import Paginator

        from .selectors import activity_for_user

        context = super().get_context_data(**kwargs)
        context["entries"] = Paginator(activity_for_user(user=self.request.user), 50).get_page(
            self.request.GET.get("page")
        )
        return context


class NotificationsView(MemberAreaMixin, TemplateView):
    """The inbox (P3): approvals, reminders, guarantor requests and account events. POST marks all read."""

    template_name = "portal/notifications.html"

    def get_context_data(self, **kwargs):
        from django.core.paginator import Paginator

        context = super().get_context_data(**kwargs)
        context["notifications"] = Paginator(self.request.user.notifications.all(), 25).get_page(
            self.request.GET.get("page")
        )
        return context

    def post(self, request):
        from django.shortcuts import redirect

        from portal.notifications.services import notifications_mark_read

        notifications_mark_read(user=request.user)
        return redirect("member_area:notifications")
