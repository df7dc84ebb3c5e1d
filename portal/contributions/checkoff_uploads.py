"""Check-off files between preview and confirm: kept in private storage under `checkoff-uploads/<SHA-256>`.

Private storage is shared by every app server when it is an S3 bucket (docs/operations.md), so the confirm may
reach another server than the preview did; on one machine it is the PRIVATE_MEDIA_ROOT folder. The admin home
counts the files previewed and not posted yet (portal/reports/dashboard.py)."""

import datetime

from django.core.files.base import ContentFile

from portal.society.storage import private_storage

CHECKOFF_UPLOADS = "checkoff-uploads"


def _is_sha256(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def checkoff_upload_keep(*, sha: str, content: bytes) -> None:
    """Keep a previewed file until it is confirmed; a second preview of the same file replaces it (and its age)."""
    if not _is_sha256(sha):
        raise ValueError("A check-off file is kept under its SHA-256 in hexadecimal.")
    storage, name = private_storage(), f"{CHECKOFF_UPLOADS}/{sha}"
    storage.delete(name)  # storage never overwrites: a name in use would get a suffix
    storage.save(name, ContentFile(content))


def checkoff_upload_read(*, sha: str) -> bytes | None:
    """The previewed file with this SHA-256, or None (never kept, or a hash that is not one)."""
    if not _is_sha256(sha):
        return None
    try:
        with private_storage().open(f"{CHECKOFF_UPLOADS}/{sha}", "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def checkoff_uploads_since(*, since: datetime.datetime) -> set[str]:
    """The SHA-256 of every file previewed at or after `since` (whether posted since or not)."""
    storage = private_storage()
    try:
        _folders, names = storage.listdir(CHECKOFF_UPLOADS)
    except FileNotFoundError:  # no preview yet on local disk (listing a bucket prefix finds nothing instead)
        return set()
    return {
        name for name in names if _is_sha256(name) and storage.get_modified_time(f"{CHECKOFF_UPLOADS}/{name}") >= since
    }
