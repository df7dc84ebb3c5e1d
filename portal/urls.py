"""Top-level routes: Wagtail admin, accounts, member area, API, documents and the public site."""

from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from portal.members.account_views import InvitationAcceptView

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("accounts/invitation/<str:token>/", InvitationAcceptView.as_view(), name="invitation_accept"),
    path("accounts/", include("allauth.urls")),
    path("portal/", include("portal.members.urls")),
    path("api/", include("portal.api.urls")),
    path("documents/", include(wagtaildocs_urls)),
    path("sitemap.xml", sitemap),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
