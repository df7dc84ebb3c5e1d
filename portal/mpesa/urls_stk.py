"""/api/mpesa/stk/… (issue 15): Daraja's STK push result callback, behind the secret token."""

from django.urls import path

from .stk import stk_callback

urlpatterns = [
    path("callback/<str:token>/", stk_callback, name="stk_callback"),
]
