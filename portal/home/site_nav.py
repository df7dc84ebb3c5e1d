"""The public site's navigation (the site, its home page and its menu) kept in the cache between requests (issue
17): every page, the member portal's included, shows the menu in its header and footer, and reading it costs the
site, the view restrictions and the pages on every request otherwise.

The cache never serves a menu older than the pages: any save or delete of a page, a site, a view restriction or a
locale, and any publish, unpublish or move, gives the navigation a new generation, and entries of an older
generation are never read again (they expire on their own). With a shared cache (Redis, REDIS_URL) that holds
for every process at once; with the per-process default cache another process may show the old menu until its
entry expires (TIMEOUT), as with Wagtail's own cached site root paths."""

import uuid

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.http.request import split_domain_port
from django.utils import translation
from wagtail.models import Locale, Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_unpublished, post_page_move

GENERATION_KEY = "site-nav:generation"
TIMEOUT = 300  # seconds: how long an entry lives (and, with a per-process cache, the staleness bound elsewhere)


def _generation() -> str:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        generation = cache.get(GENERATION_KEY)
    return generation


def site_nav_forget(**kwargs) -> None:
    """Something the navigation shows changed: start a new generation."""
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def _changed(sender, instance=None, **kwargs) -> None:
    if isinstance(instance, Page | Site | PageViewRestriction | Locale):
        site_nav_forget()


def site_nav(request, build) -> dict | None:
    """{"site", "home", "menu"} for the request's host and the active language: from the cache, else `build(request)`
    stored for the next request. The request then knows its Wagtail site without a query (pageurl reads it)."""
    try:
        hostname = split_domain_port(request.get_host())[0]
        port = request.get_port()
    except Exception:  # DisallowedHost and the like: no caching, Wagtail decides
        return build(request)
    key = f"site-nav:{_generation()}:{hostname}:{port}:{translation.get_language()}"
    nav = cache.get(key)
    if nav is None:
        nav = build(request)
        cache.set(key, nav, TIMEOUT)
    if nav is not None and not hasattr(request, "_wagtail_site"):
        request._wagtail_site = nav["site"]
    return nav


post_save.connect(_changed, dispatch_uid="site_nav_saved")
post_delete.connect(_changed, dispatch_uid="site_nav_deleted")
for _signal in (page_published, page_unpublished, post_page_move):
    _signal.connect(site_nav_forget, dispatch_uid=f"site_nav_{id(_signal)}")
