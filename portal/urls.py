"""Top-level routes: Wagtail admin, accounts, member area, API, documents and the public site."""

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps import Sitemap
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from portal import health
from portal.home.verify import verify_view
from portal.members import otp_views
from portal.members.account_views import InvitationAcceptView, UnlockConfirmView, UnlockRequestView


class RequestHostSitemap(Sitemap):
    """Wagtail's sitemap with every page on the scheme and host the sitemap was fetched from. The sitemaps protocol
    admits only URLs of the sitemap's own host, and the Site record's hostname and port (the demo's "localhost" on
    port 80) need not be where the portal is served: the pages listed are the request's site's anyway."""

    def _urls(self, page, protocol, domain):
        urls = super()._urls(page, protocol, domain)
        for url in urls:
            parts = urlsplit(url["location"])
            url["location"] = self.request.build_absolute_uri(parts.path + (f"?{parts.query}" if parts.query else ""))
        return urls


urlpatterns = [
    path("healthz", health.healthz, name="healthz"),  # load balancers (issue 17), see portal/health.py
    path("readyz", health.readyz, name="readyz"),
    path("admin/", include(wagtailadmin_urls)),
    path("accounts/invitation/<str:token>/", InvitationAcceptView.as_view(), name="invitation_accept"),
    path("accounts/unlock/", UnlockRequestView.as_view(), name="lockout_unlock_request"),
    path("accounts/unlock/<str:token>/", UnlockConfirmView.as_view(), name="lockout_unlock_confirm"),
    path("accounts/otp/verify/", otp_views.otp_verify_view, name="otp_verify"),
    path("accounts/otp/setup/", otp_views.otp_setup_view, name="otp_setup"),
    path("accounts/otp/setup/email/", otp_views.otp_setup_email_view, name="otp_setup_email"),
    path("accounts/otp/setup/sms/", otp_views.otp_setup_sms_view, name="otp_setup_sms"),  # issue 15
    path("accounts/otp/backup-codes/", otp_views.otp_backup_codes_view, name="otp_backup_codes"),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the language chooser's POST
    path("portal/", include("portal.member_area.urls")),
    path("api/mpesa/", include("portal.mpesa.urls")),  # Daraja's callbacks (issue 15)
    path("sms/", include("portal.notifications.urls")),  # Africa's Talking's delivery reports (issue 15)
    path("api/", include("portal.api.urls")),
    path("documents/", include(wagtaildocs_urls)),
    # Issue 18: the public document check (the QR codes' address); before Wagtail's catch-all below.
    path("verify/", verify_view, name="document_verify"),
    path("sitemap.xml", sitemap, {"sitemaps": {"wagtail": RequestHostSitemap}}),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]

handler404 = "portal.middleware.not_found"
