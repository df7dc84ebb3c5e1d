"""Template tags for the public site's navigation and footer."""

from django import template
from django.utils import translation
from wagtail.models import Page, Site

from portal.home.models import english_version, localized_live, localized_live_pages, reading_english
from portal.home.site_nav import site_nav

register = template.Library()


def _build_nav(request) -> dict | None:
    """The site for the request, its home page and its menu in the active language (site_nav.py caches them)."""
    site = Site.find_for_request(request)
    if site is None:
        return None
    if reading_english():
        menu = site.root_page.get_children().live().public().in_menu().specific().order_by("path")
    else:
        menu = localized_live_pages(
            english_version(site.root_page).get_children().live().public().in_menu().specific().order_by("path")
        )
    return {"site": site, "home": localized_live(site.root_page), "menu": list(menu)}


def _nav(request) -> dict | None:
    # The header, the footer and the brand all read it: once per request and language, from the cache (issue 17).
    memo = request.__dict__.setdefault("_site_nav", {})
    language = translation.get_language()
    if language not in memo:
        memo[language] = site_nav(request, _build_nav)
    return memo[language]


@register.simple_tag(takes_context=True)
def menu_pages(context):
    """Live, public pages marked "show in menus" directly under the site's home page: the English tree's
    menu, each page in the active language where its copy is published (the same URLs in both languages)."""
    request = context.get("request")
    nav = _nav(request) if request is not None else None
    return nav["menu"] if nav else Page.objects.none()


@register.simple_tag(takes_context=True)
def site_root(context):
    request = context.get("request")
    nav = _nav(request) if request is not None else None
    return nav["home"] if nav else None


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
