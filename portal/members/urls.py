from django.urls import path

from . import views

app_name = "member_area"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
]
