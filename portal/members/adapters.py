"""allauth adapter: there is no open sign-up; people join through a staff invitation."""

import logging

from allauth.account.adapter import DefaultAccountAdapter
from django.utils.translation import gettext as _

from .selectors import member_for_user

logger = logging.getLogger(__name__)


class InvitationOnlyAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return False

    def send_mail(self, template_prefix, email, context):
        """A mail server that is down is a message on the page, not a 500. allauth emails unknown addresses too
        (ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS), so the message tells nobody whether an address has an account."""
        try:
            super().send_mail(template_prefix, email, context)
        except OSError as exc:  # smtplib errors, refused connections and timeouts are all OSErrors
            logger.warning("allauth email %s failed: %s", template_prefix, exc)
            request = getattr(self, "request", None)
            if request is not None:
                from django.contrib import messages

                messages.error(request, _("We could not send the email just now. Please try again in a few minutes."))

    def get_login_redirect_url(self, request):
        """Staff without a member record land in the Wagtail admin; everyone else in the member portal."""
        from django.urls import reverse

        user = request.user
        if user.is_staff and member_for_user(user=user) is None:
            return reverse("wagtailadmin_home")
        return super().get_login_redirect_url(request)
