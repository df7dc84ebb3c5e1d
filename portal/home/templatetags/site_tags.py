"""Template tags for the public site's navigation and footer."""

from django import template
from django.utils import translation
from wagtail.models import Page, Site

from portal.home.models import english_version, localized_live, localized_live_pages, reading_english

register = template.Library()


@register.simple_tag(takes_context=True)
def menu_pages(context):
    """Live, public pages marked "show in menus" directly under the site's home page: the English tree's
    menu, each page in the active language where its copy is published (the same URLs in both languages)."""
    request = context.get("request")
    if request is None:
        return Page.objects.none()
    # The header and the footer both list the menu: read it once per request and language (issue 17).
    memo = request.__dict__.setdefault("_menu_pages", {})
    language = translation.get_language()
    if language not in memo:
        memo[language] = list(_menu_pages(request))
    return memo[language]


def _menu_pages(request):
    site = Site.find_for_request(request)
    if site is None:
        return Page.objects.none()
    if reading_english():
        return site.root_page.get_children().live().public().in_menu().specific().order_by("path")
    pages = english_version(site.root_page).get_children().live().public().in_menu().specific().order_by("path")
    return localized_live_pages(pages)


@register.simple_tag(takes_context=True)
def site_root(context):
    request = context.get("request")
    site = Site.find_for_request(request) if request else None
    return localized_live(site.root_page) if site else None


@register.filter
def is_current(page, current):
    """True when `current` is `page` or one of its descendants (to highlight the menu item)."""
    if current is None or page is None or not hasattr(current, "path"):
        return False
    if current.path.startswith(page.path):
        return True
    if current.locale_id == page.locale_id:
        return False
    # A menu item in one language, the page served in the other (the English fallback): match by translation.
    keys = current.get_ancestors(inclusive=True).values_list("translation_key", flat=True)
    return page.translation_key in set(keys)
