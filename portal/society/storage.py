"""Private file storage: outside MEDIA_ROOT, with no URL. Files are served only by permission-checked views."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """Reads PRIVATE_MEDIA_ROOT on every use, so a deployment (or a test) can move it after start-up."""

    @property
    def base_location(self):
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None

    def url(self, name):  # pragma: no cover - a guard, never a feature
        raise NotImplementedError("Private files have no public URL; serve them through a permission-checked view.")


_storage = PrivateStorage()


def private_storage():
    return _storage
