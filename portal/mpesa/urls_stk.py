"""/api/mpesa/stk/… (issue 15)."""

urlpatterns: list = []
