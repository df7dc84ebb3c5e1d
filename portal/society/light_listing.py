"""Admin work lists under the 60 KB page budget (issue 14): `LightListingMixin` for a snippet IndexView whose rows
are worked one by one (the KYC documents, the loan applications), and `html_indentation_strip` which it applies."""

import re

from wagtail.admin.ui.tables import BulkActionsCheckboxColumn

# Whitespace runs that hold a line break, outside the elements where whitespace is content (or code).
_KEEP_WHITESPACE = re.compile(r"(<(pre|textarea|script)\b.*?</\2>)", re.S | re.I)
_INDENTATION = re.compile(r"[ \t\r\f]*\n\s*")


def html_indentation_strip(html: str) -> str:
    """Each run of whitespace holding a line break becomes one line break: the same page to a browser, a third
    lighter (Wagtail's templates indent deeply), outside <pre>, <textarea> and <script>."""
    parts = _KEEP_WHITESPACE.split(html)  # text, element, its tag name, text, …
    kept = []
    for at in range(0, len(parts), 3):
        kept.append(_INDENTATION.sub("\n", parts[at]))
        if at + 1 < len(parts):
            kept.append(parts[at + 1])
    return "".join(kept)


def _response_indentation_strip(response):
    if response.get("Content-Type", "").startswith("text/html"):
        response.content = html_indentation_strip(response.content.decode(response.charset or "utf-8"))
    return response


class LightListingMixin:
    """A work list under the 60 KB page budget with a page of rows (issue 14): no per-row "more" dropdown (about
    1.2 KB a row; the row's title already opens the record: its review page for those who decide, its read-only
    page for readers), no bulk-action checkboxes (no bulk action is any of these roles' work), and the indentation
    of Wagtail's templates dropped from the page. A view adds back only the row actions its roles use, as small
    buttons (`get_list_more_buttons`)."""

    @property
    def columns(self):
        return [column for column in super().columns if not isinstance(column, BulkActionsCheckboxColumn)]

    def get_list_more_buttons(self, instance):
        return []

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if hasattr(response, "add_post_render_callback"):
            response.add_post_render_callback(_response_indentation_strip)
        return response
