"""The admin's menus by role (issue 14): the public site's CMS (pages, images, documents, snippets, forms,
Wagtail's own reports and help, the settings other than SACCO settings) only for the people who edit the site;
everyone else sees the society's work. One place for the rules, registered from this app's wagtail_hooks.

Who edits the site is whoever has a permission on the page tree (roles.ROLE_PAGE_PERMISSIONS: clerks and
administrators; superusers), so a group an administrator grants page rights to sees the CMS too.
"""

from wagtail.admin.auth import user_has_any_page_permission
from wagtail.admin.menu import SubmenuMenuItem, reports_menu

# Wagtail's own top-level menu items that belong to the public site's CMS (their `name`s).
CMS_MENU_NAMES = frozenset({"explorer", "images", "documents", "snippets", "forms", "help"})
# The settings a non-editor may still reach when their role allows it (SaccoSettings: treasurer, administrators).
SACCO_SETTINGS_NAMES = frozenset({"sacco-settings"})
# Wagtail names its reports menu "Reports", like the society's: editors see it as "Site reports".
SITE_REPORTS_LABEL = "Site reports"
SITE_REPORTS_NAME = "site-reports"


def cms_editor(user) -> bool:
    """May this person edit the public site? (Then the CMS is part of their admin.)"""
    return bool(user.is_active and (user.is_superuser or user_has_any_page_permission(user)))


def _is_site_reports(item) -> bool:
    return isinstance(item, SubmenuMenuItem) and item.menu is reports_menu


def main_menu_by_role(request, menu_items):
    """construct_main_menu: the CMS for editors only; Wagtail's "Reports" renamed so no two items share a label."""
    editor = cms_editor(request.user)
    kept = []
    for item in menu_items:
        if _is_site_reports(item):
            if not editor:
                continue
            # The registered item is shared by every request: renaming it is the same for all, so idempotent.
            item.label, item.name = SITE_REPORTS_LABEL, SITE_REPORTS_NAME
        elif item.name in CMS_MENU_NAMES and not editor:
            continue
        kept.append(item)
    menu_items[:] = kept


def settings_menu_by_role(request, menu_items):
    """construct_settings_menu: non-editors keep only the SACCO settings (if their role may edit them)."""
    if not cms_editor(request.user):
        menu_items[:] = [item for item in menu_items if item.name in SACCO_SETTINGS_NAMES]
