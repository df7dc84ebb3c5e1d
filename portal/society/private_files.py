"""Serving a private file (KYC document, receipt, backup, report run): always as a download that cannot run.

A member's upload is checked by its first bytes, but a file can be two things at once — a PDF that starts with
`%PDF-` and carries HTML and script — and a browser that renders it inline on our origin would run that script with
a clerk's session. So every private file leaves as an attachment, with `X-Content-Type-Options: nosniff` (the
browser must not guess a type) and `Content-Security-Policy: sandbox` (should anything still render it, it runs in
an opaque origin with no scripts). `<img src>` previews in the admin still work: images ignore these headers.
"""

from django.http import FileResponse

PRIVATE_FILE_CSP = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"


def private_file_response(file, *, filename: str, content_type: str | None = None) -> FileResponse:
    """A FileResponse for `file` (an open binary file) named `filename`, hardened as described above."""
    response = FileResponse(
        file, as_attachment=True, filename=filename, content_type=content_type or "application/octet-stream"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = PRIVATE_FILE_CSP
    response["Cache-Control"] = "private, no-store"
    return response
