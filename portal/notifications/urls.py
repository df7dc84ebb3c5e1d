"""Mounted at /sms/ in portal/urls.py: the SMS gateway's callbacks."""

from django.urls import path

from .views import sms_delivery_report_view

urlpatterns = [
    path("delivery-report/<str:token>/", sms_delivery_report_view, name="sms_delivery_report"),
]
