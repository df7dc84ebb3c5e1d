"""Public pages: the same URL answers in English or Kiswahili (the language cookie or the account decides)."""

from django.utils.cache import patch_vary_headers
from wagtail import hooks


@hooks.register("on_serve_page")
def vary_by_language(next_serve_page):
    """Mark every served page as varying by the language cookie and Accept-Language, so that a shared cache
    never hands one reader's language to another."""

    def serve_page(page, request, args, kwargs):
        response = next_serve_page(page, request, args, kwargs)
        patch_vary_headers(response, ("Cookie", "Accept-Language"))
        return response

    return serve_page
