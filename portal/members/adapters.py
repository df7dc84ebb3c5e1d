"""allauth adapter: there is no open sign-up; people join through a staff invitation."""

from allauth.account.adapter import DefaultAccountAdapter


class InvitationOnlyAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return False

    def get_login_redirect_url(self, request):
        """Staff without a member record land in the Wagtail admin; everyone else in the member portal."""
        from django.urls import reverse

        from .selectors import member_for_user

        user = request.user
        if user.is_staff and member_for_user(user=user) is None:
            return reverse("wagtailadmin_home")
        return super().get_login_redirect_url(request)
