from django.urls import path

from . import views

app_name = "member_area"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("security/", views.SecurityView.as_view(), name="security"),
    path("notifications/", views.NotificationsView.as_view(), name="notifications"),
    path("activity/", views.ActivityView.as_view(), name="activity"),
]
