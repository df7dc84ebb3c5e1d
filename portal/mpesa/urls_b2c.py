"""/api/mpesa/b2c/… (issue 15)."""

urlpatterns: list = []
