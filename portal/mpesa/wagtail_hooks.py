"""M-Pesa in the Wagtail admin (issue 15): unallocated receipts and their allocation, the raw callback log and the
daily statement matching (admin_views.py), under one "M-Pesa" menu whose items each check their permission."""

from django.urls import path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from . import admin_views


class _PermissionMenuItem(MenuItem):
    def __init__(self, *args, shown_to, **kwargs):
        super().__init__(*args, **kwargs)
        self.shown_to = shown_to

    def is_shown(self, request):
        return self.shown_to(request.user)


@hooks.register("register_admin_urls")
def mpesa_admin_urls():
    return [
        path("mpesa/unallocated/", admin_views.unallocated_view, name="mpesa_unallocated"),
        path("mpesa/unallocated/<uuid:pk>/", admin_views.allocate_view, name="mpesa_allocate"),
        path("mpesa/callbacks/", admin_views.callbacks_view, name="mpesa_callbacks"),
        path("mpesa/reconciliation/", admin_views.reconciliation_view, name="mpesa_reconciliation"),
    ]


@hooks.register("register_admin_menu_item")
def mpesa_menu_item():
    def reads_receipts(user):
        return admin_views.may_allocate(user) or admin_views.may_read_banking(user)

    menu = Menu(
        items=[
            _PermissionMenuItem(
                _("Unallocated receipts"),
                reverse_lazy("mpesa_unallocated"),
                icon_name="warning",
                order=10,
                shown_to=reads_receipts,
            ),
            _PermissionMenuItem(
                _("Statement matching"),
                reverse_lazy("mpesa_reconciliation"),
                icon_name="tasks",
                order=20,
                shown_to=admin_views.may_read_banking,
            ),
            _PermissionMenuItem(
                _("Callbacks received"),
                reverse_lazy("mpesa_callbacks"),
                icon_name="list-ul",
                order=30,
                shown_to=admin_views.may_read_banking,
            ),
        ]
    )
    return SubmenuMenuItem(_("M-Pesa"), menu, icon_name="mobile-alt", name="mpesa", order=160)
