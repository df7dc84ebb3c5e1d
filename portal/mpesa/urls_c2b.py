"""/api/mpesa/c2b/… (issue 15): Daraja's C2B paybill validation and confirmation, behind the secret token (c2b.py)."""

from django.urls import path

from .c2b import C2BConfirmationView, C2BValidationView

urlpatterns = [
    path("validation/<str:token>/", C2BValidationView.as_view(), name="c2b_validation"),
    path("confirmation/<str:token>/", C2BConfirmationView.as_view(), name="c2b_confirmation"),
]
