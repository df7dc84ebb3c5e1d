"""/api/mpesa/…: Daraja's callbacks. One module per flow."""

from django.urls import include, path

app_name = "mpesa"

urlpatterns = [
    path("c2b/", include("portal.mpesa.urls_c2b")),
    path("stk/", include("portal.mpesa.urls_stk")),
    path("b2c/", include("portal.mpesa.urls_b2c")),
]
