"""Admin lists under the 60 KB page budget: `CompactListingMixin` for every snippet list (issue 17, through
ExportingIndexView), `LightListingMixin` for the work lists whose rows are worked one by one (issue 14: the KYC
documents, the loan applications), and `html_compact` (indentation, table-cell line breaks, the sidebar's menu
data), which every list applies."""

import json
import re

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from wagtail.admin.ui.tables import BulkActionsCheckboxColumn
from wagtail.admin.widgets.button import BaseButton, ButtonWithDropdown
from wagtail.snippets.views.snippets import IndexView

WAGTAIL_TITLE_CELL = "wagtailadmin/tables/title_cell.html"
COMPACT_TITLE_CELL = "wagtailadmin_custom/compact_title_cell.html"

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


# A line break next to a table row or cell tag: never rendered (white space between cells is dropped, and at the
# start or end of a cell it is collapsed away). Wagtail writes `<td >` for a cell without a class.
_CELL_LINE_BREAK = re.compile(r"\n*(</?t[rdh]\b[^>]*>)\n*")
_WAGTAIL_CONFIG = re.compile(r'(<script id="wagtail-config" type="application/json">)(.*?)(</script>)', re.S)
_SIDEBAR_PROPS = re.compile(r'(<script id="wagtail-sidebar-props" type="application/json">)(.*?)(</script>)', re.S)
# What Django's json_script escapes, so the JSON cannot close its <script> element.
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def _menu_item_compact(value):
    """Wagtail's sidebar menu data less the empty `attrs` of each item (the sidebar's script takes `{}` for a missing
    one), recursively."""
    if isinstance(value, dict):
        return {key: _menu_item_compact(item) for key, item in value.items() if not (key == "attrs" and item == {})}
    if isinstance(value, list):
        return [_menu_item_compact(item) for item in value]
    return value


def _sidebar_props_compact(match) -> str:
    """The sidebar's menu (about 19 KB for a superuser, on every admin page) written without JSON's spaces and the
    items' empty attributes: the same menu, ~2.5 KB lighter."""
    props = json.dumps(_menu_item_compact(json.loads(match.group(2))), separators=(",", ":"))
    return match.group(1) + props.translate(_JSON_SCRIPT_ESCAPES) + match.group(3)


def _config_compact(match) -> str:
    """Wagtail's page configuration less the bulk-action strings (~1.1 KB), which only bulk-actions.js reads — a
    script these lists do not load (no row can be selected)."""
    config = json.loads(match.group(2))
    config.get("STRINGS", {}).pop("BULK_ACTIONS", None)
    props = json.dumps(config, separators=(",", ":"))
    return match.group(1) + props.translate(_JSON_SCRIPT_ESCAPES) + match.group(3)


def html_compact(html: str) -> str:
    """`html_indentation_strip`, then no line break next to a table row or cell tag and `<td>` for Wagtail's
    `<td >` (both never rendered), and the sidebar's menu data and Wagtail's configuration written compactly
    (for a list page only: the configuration loses the strings of the bulk actions these lists do not have)."""
    html = html_indentation_strip(html)
    parts = _KEEP_WHITESPACE.split(html)
    kept = []
    for at in range(0, len(parts), 3):
        kept.append(_CELL_LINE_BREAK.sub(r"\1", parts[at]).replace("<td >", "<td>").replace("<th >", "<th>"))
        if at + 1 < len(parts):
            kept.append(parts[at + 1])
    html = _SIDEBAR_PROPS.sub(_sidebar_props_compact, "".join(kept), count=1)
    return _WAGTAIL_CONFIG.sub(_config_compact, html, count=1)


def _response_compact(response):
    if response.get("Content-Type", "").startswith("text/html"):
        response.content = html_compact(response.content.decode(response.charset or "utf-8"))
    return response


class LightListingMixin:
    """A work list whose rows are worked one by one (issue 14), lighter still than every list (CompactListingMixin,
    which ExportingIndexView applies): no per-row menu at all (the row's title already opens the record: its review
    page for those who decide, its read-only page for readers). A view adds back only the row actions its roles use
    (`get_list_more_buttons`), which CompactListingMixin shows as plain links."""

    def get_list_more_buttons(self, instance):
        return []


class RowActions(BaseButton):
    """A row's own actions as plain links, no icons, no per-item attributes: one or two side by side in the row's
    title cell, more in a native <details> (opens without script) — a fraction of Wagtail's "more" dropdown (~1.5 KB
    a row once its indentation is gone). The summary needs no label of its own: it sits in the row's title cell."""

    def __init__(self, buttons):
        super().__init__(label=gettext("Actions"), priority=1000)
        self.buttons = [button for button in buttons if button.url]

    def render_html(self, parent_context=None):
        links = format_html_join(" · ", '<a href="{}">{}</a>', ((b.url, b.label) for b in self.buttons))
        if len(self.buttons) <= 2:
            return links
        return format_html('<details class="row-actions"><summary>{}</summary>{}</details>', self.label, links)


class CompactListingMixin:
    """Every admin list within 60 KB for a page of 50 rows (issue 17; the member list sent 209 KB): no bulk-action
    checkboxes (no role's work is a bulk action on these records); Wagtail's own row actions (edit, copy, inspect,
    delete, history) left to the record's page, which the row's title opens and whose header offers them all; a
    list's own row actions (a statement, a reversal, a reset) kept as plain links (RowActions) instead of Wagtail's
    dropdown; the title cell on one line without the span only the checkboxes used; no bulk-actions footer (nothing
    to select); and the page compacted (`html_compact`)."""

    @property
    def columns(self):
        return [column for column in super().columns if not isinstance(column, BulkActionsCheckboxColumn)]

    def _get_title_column_class(self, column_class):
        if getattr(column_class, "cell_template_name", None) == WAGTAIL_TITLE_CELL:
            column_class = type(column_class.__name__, (column_class,), {"cell_template_name": COMPACT_TITLE_CELL})
        return super()._get_title_column_class(column_class)

    def get_template_names(self):
        # Wagtail's generic list: the snippet list's template is the same less its bulk-actions footer and script.
        return [
            "wagtailadmin/generic/index.html" if name == "wagtailsnippets/snippets/index.html" else name
            for name in super().get_template_names()
        ]

    def get_list_buttons(self, instance):
        wagtails = {button.url for button in IndexView.get_list_more_buttons(self, instance)}
        wagtails.add(self.get_edit_url(instance))
        ours, others = [], []
        for button in super().get_list_buttons(instance):
            if isinstance(button, ButtonWithDropdown):
                ours.extend(b for b in button.dropdown_buttons if b.url not in wagtails)
            elif getattr(button, "url", None) and button.url not in wagtails:
                ours.append(button)  # a list's own small button (LightListingMixin): a plain link too
            else:
                others.append(button)
        return others + ([RowActions(ours)] if ours else [])

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if hasattr(response, "add_post_render_callback"):
            response.add_post_render_callback(_response_compact)
        return response
