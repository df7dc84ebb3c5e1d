"""What every member-area page shares."""

from django.contrib.auth.mixins import LoginRequiredMixin

from portal.members.selectors import member_for_user


class MemberAreaMixin(LoginRequiredMixin):
    """Every member-area view: signed in, and `member` in the context (None for staff without one)."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["member"] = member_for_user(user=self.request.user)
        context["unread_notifications"] = self.request.user.notifications.filter(read_at__isnull=True).count()
        return context
