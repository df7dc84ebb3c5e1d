"""Admin list exports (R7): every snippet list exports CSV and XLSX through Wagtail's `list_export`; this index view
follows dotted paths ("member.membership_number") through relations that may be empty — a journal line without a
member, a payment nobody recorded — and writes an empty cell instead of failing the whole file."""

from collections import OrderedDict

from wagtail.snippets.views.snippets import IndexView


def _lookup(item, path: str):
    current = item
    for bit in path.split("."):
        if current is None:
            return None
        current = getattr(current, bit)
        if callable(current) and not getattr(current, "alters_data", False):
            current = current()
    return current


class ExportingIndexView(IndexView):
    def to_row_dict(self, item):
        return OrderedDict((field, _lookup(item, field)) for field in self.list_export)
