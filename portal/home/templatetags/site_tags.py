"""Template tags for the public site's navigation and footer."""

from django import template
from wagtail.models import Page, Site

register = template.Library()


@register.simple_tag(takes_context=True)
def menu_pages(context):
    """Live, public pages marked "show in menus" directly under the site's home page."""
    request = context.get("request")
    site = Site.find_for_request(request) if request else None
    if site is None:
        return Page.objects.none()
    return site.root_page.get_children().live().public().in_menu().specific().order_by("path")


@register.simple_tag(takes_context=True)
def site_root(context):
    request = context.get("request")
    site = Site.find_for_request(request) if request else None
    return site.root_page if site else None


@register.filter
def is_current(page, current):
    """True when `current` is `page` or one of its descendants (to highlight the menu item)."""
    if current is None or page is None:
        return False
    return current.path.startswith(page.path) if hasattr(current, "path") else False
