"""/api/mpesa/c2b/… (issue 15)."""

urlpatterns: list = []
