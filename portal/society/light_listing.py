"""Admin lists under the 60 KB page budget: `CompactListingMixin` for every snippet list (issue 17, through
ExportingIndexView), `LightListingMixin` for the work lists whose rows are worked one by one (issue 14: the KYC
documents, the loan applications), and `html_indentation_strip`, which every list applies."""

import re

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from wagtail.admin.ui.tables import BulkActionsCheckboxColumn
from wagtail.admin.widgets.button import BaseButton, ButtonWithDropdown
from wagtail.snippets.views.snippets import IndexView

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
    """A work list whose rows are worked one by one (issue 14), lighter still than every list (CompactListingMixin,
    which ExportingIndexView applies): no per-row menu at all (the row's title already opens the record: its review
    page for those who decide, its read-only page for readers). A view adds back only the row actions its roles use,
    as small buttons (`get_list_more_buttons`)."""

    def get_list_more_buttons(self, instance):
        return []


class RowActions(BaseButton):
    """A row's actions as a native <details> of plain links: opens without script, no icons, no per-item attributes
    — about a seventh of Wagtail's "more" dropdown (~1.5 KB a row once its indentation is gone)."""

    def __init__(self, buttons, *, title: str):
        super().__init__(label=gettext("Actions"), priority=1000)
        self.buttons = buttons
        self.title = title

    def render_html(self, parent_context=None):
        links = format_html_join(" · ", '<a href="{}">{}</a>', ((b.url, b.label) for b in self.buttons if b.url))
        return format_html(
            '<details class="row-actions"><summary aria-label="{}">{}</summary>{}</details>',
            gettext("More options for '%(title)s'") % {"title": self.title},
            self.label,
            links,
        )


class CompactListingMixin:
    """Every admin list within 60 KB for a page of 50 rows (issue 17; the member list sent 209 KB): no bulk-action
    checkboxes (no role's work is a bulk action on these records); Wagtail's own row actions (edit, copy, inspect,
    delete, history) left to the record's page, which the row's title opens and whose header offers them all; a
    list's own row actions (a statement, a reversal, a reset) kept, in one small <details> of plain links instead of
    Wagtail's dropdown; and the indentation of Wagtail's templates dropped from the page."""

    @property
    def columns(self):
        return [column for column in super().columns if not isinstance(column, BulkActionsCheckboxColumn)]

    def get_list_buttons(self, instance):
        wagtails = {button.url for button in IndexView.get_list_more_buttons(self, instance)}
        wagtails.add(self.get_edit_url(instance))
        buttons = []
        for button in super().get_list_buttons(instance):
            if isinstance(button, ButtonWithDropdown):
                ours = [b for b in button.dropdown_buttons if b.url not in wagtails]
                if ours:
                    buttons.append(RowActions(ours, title=str(instance)))
            else:
                buttons.append(button)
        return buttons

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if hasattr(response, "add_post_render_callback"):
            response.add_post_render_callback(_response_indentation_strip)
        return response
