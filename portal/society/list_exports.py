"""Admin list exports (R7): every snippet list exports CSV and XLSX through Wagtail's `list_export`; this index view
follows dotted paths ("member.membership_number") through relations that may be empty — a journal line without a
member, a payment nobody recorded — and writes an empty cell instead of failing the whole file.

Wagtail's `SpreadsheetExportMixin` writes CSV cells as they are, so a member's name or phone that starts with "="
would run as a formula on the clerk's machine. `neutralise_wagtail_csv_exports` (called once from the society app's
`ready`) makes the mixin write every CSV cell — headings and rows — through `neutralise_csv_cell`. That covers our
snippet lists and Wagtail's own exports too (form submissions typed by the public, site history). Wagtail's XLSX
export already turns text that openpyxl takes for a formula back into a string; `_preprocess_field_value` drops the
control characters an XLSX cannot hold (openpyxl refused them, failing the whole file)."""

import csv
from collections import OrderedDict

from django.http import FileResponse
from wagtail.admin.views.mixins import Echo, SpreadsheetExportMixin
from wagtail.snippets.views.snippets import IndexView

from portal.society.csv_safe import neutralise_csv_cell, xlsx_clean_text
from portal.society.light_listing import CompactListingMixin
from portal.society.replica import iterate_on_replica, reads_from_replica


class NeutralisingDictWriter(csv.DictWriter):
    """A DictWriter whose every text cell passes through `neutralise_csv_cell` (numbers untouched)."""

    def writerow(self, rowdict):
        return super().writerow({key: neutralise_csv_cell(value) for key, value in rowdict.items()})


def _stream_csv(self, queryset):
    """Wagtail's `SpreadsheetExportMixin.stream_csv`, with the neutralising writer."""
    writer = NeutralisingDictWriter(Echo(), fieldnames=self.list_export)
    yield writer.writerow({field: self.get_heading(queryset, field) for field in self.list_export})
    for item in queryset:
        yield self.write_csv_row(writer, self.to_row_dict(item))


_wagtail_preprocess_field_value = SpreadsheetExportMixin.preprocess_field_value


def _preprocess_field_value(self, field, value, export_format):
    """Wagtail's preprocessing, then (for XLSX) text without the control characters openpyxl refuses."""
    processed = _wagtail_preprocess_field_value(self, field, value, export_format)
    return xlsx_clean_text(processed) if export_format == self.FORMAT_XLSX else processed


def neutralise_wagtail_csv_exports() -> None:
    SpreadsheetExportMixin.stream_csv = _stream_csv
    SpreadsheetExportMixin.preprocess_field_value = _preprocess_field_value


def _lookup(item, path: str):
    current = item
    for bit in path.split("."):
        if current is None:
            return None
        current = getattr(current, bit)
        if callable(current) and not getattr(current, "alters_data", False):
            current = current()
    return current


class ExportingIndexView(CompactListingMixin, IndexView):
    """Every snippet list in the admin: CSV and XLSX exports of the filtered list, light pages (CompactListingMixin)."""

    def get(self, request, *args, **kwargs):
        """A download of the list (`?export=`) is read from the replica if there is one (issue 17); the list page
        is not (it leads to edits). The permissions are read first, on the primary (Django caches them on the user),
        so a permission taken away is never read back from the replica. XLSX is written here; CSV streams after the
        view has returned, so each of its rows is read inside the opt-in as it is produced."""
        if not self.is_export:
            return super().get(request, *args, **kwargs)
        request.user.get_all_permissions()
        with reads_from_replica():
            response = super().get(request, *args, **kwargs)
        if response.streaming and not isinstance(response, FileResponse):  # XLSX: a FileResponse of bytes written
            response.streaming_content = iterate_on_replica(response.streaming_content)
        return response

    def to_row_dict(self, item):
        return OrderedDict((field, _lookup(item, field)) for field in self.list_export)
