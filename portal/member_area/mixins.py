"""What every member-area page shares."""

import functools

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import OuterRef
from django.shortcuts import render
from django.views.generic import TemplateView

from portal.members.selectors import member_for_user
from portal.notifications.selectors import unread_notifications_count, unread_notifications_subquery

# Pages about the account itself or the society as a whole: they work for a signed-in user without a member record
# (staff set up their second factor on the security page). Every other member-area page needs a member record.
ACCOUNT_PAGES = frozenset({"more", "notifications", "security", "activity", "statements", "statement_detail"})


@functools.cache
def _unread_count():
    """The inbox badge as an expression on the member query, built once per process (issue 17): it names no user
    (the member's own, OuterRef), and Django copies an expression when a query resolves it, so no query changes it."""
    return unread_notifications_subquery(user=OuterRef("user"))


def no_membership_response(request):
    """A signed-in user without a member record asked for a member's page: say so, and where staff work, instead of
    a bare 404 (the dashboard answers 200, other pages keep their 404 status)."""
    status = 200 if getattr(request.resolver_match, "url_name", None) == "dashboard" else 404
    context = {"member": None, "unread_notifications": unread_notifications_count(user=request.user)}
    return render(request, "portal/no_membership.html", context, status=status)


class MemberAreaMixin(LoginRequiredMixin):
    """Every member-area view: signed in, and `member` in the context. Without a member record only ACCOUNT_PAGES
    render; the rest answer with the no-membership page."""

    member = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            # The inbox badge is counted in the query that reads the member (issue 17): one query fewer a page.
            self.member = member_for_user(
                user=request.user, annotations={"unread_count": _unread_count(), **self.member_annotations()}
            )
            if self.member is None and getattr(request.resolver_match, "url_name", None) not in ACCOUNT_PAGES:
                return no_membership_response(request)
        return super().dispatch(request, *args, **kwargs)

    def member_annotations(self) -> dict:
        """Expressions the page reads in the same query as the member (issue 17): none unless a page says so."""
        return {}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["member"] = self.member
        counted = getattr(self.member, "unread_count", None)
        if counted is None or self.request.method not in ("GET", "HEAD"):  # a POST may have just read some
            counted = unread_notifications_count(user=self.request.user)
        context["unread_notifications"] = counted
        return context


class MemberAreaPage(MemberAreaMixin, TemplateView):
    """A member-area page with only the shared context (the "More" page that lists every place)."""
