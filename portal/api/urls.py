"""API routes. Paths copy the seed document exactly, hyphens included."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework_simplejwt.views import TokenRefreshView

from . import views

app_name = "api"

urlpatterns = [
    path("", views.ApiRootView.as_view(), name="root"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    # Password-only JWT for the foundation; the identity issue puts the OTP step in front of it.
    path("auth/token/", views.LockoutAwareTokenObtainPairView.as_view(), name="token_obtain_pair"),
    path("auth/token/refresh/", TokenRefreshView.as_view(), name="token_refresh"),
    path("members/profile/", views.MemberProfileView.as_view(), name="member-profile"),
    path("members/dashboard/", views.MemberDashboardView.as_view(), name="member-dashboard"),
]
