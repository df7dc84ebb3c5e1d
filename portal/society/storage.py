"""Private file storage: KYC and death documents, receipts, backups, report runs and export files.

Every private FileField holds the one `PrivateStorage` object below, which hands each call to the backend that
`settings.STORAGES["private"]` names at that moment: by default files under PRIVATE_MEDIA_ROOT
(`PrivateFileSystemStorage`), in production with S3 settings a private prefix of an S3-compatible bucket
(`portal.society.s3_storage.PrivateS3Storage`, configured by `s3_storages` below). Either way the files have no
URL: they are served only by views that check permission (docs/operations.md, "S3-compatible storage").
"""

import os
from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage, Storage, storages

PRIVATE_STORAGE_ALIAS = "private"


class PrivateFileSystemStorage(FileSystemStorage):
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


class PrivateStorage(Storage):
    """What the private FileFields hold. A field keeps the storage object it was given when the model class was
    built, so this one looks the backend up on every call: changing STORAGES (a deployment's settings, a test's
    override) moves every private file field at once, with no migration."""

    @staticmethod
    def backend() -> Storage:
        return storages[PRIVATE_STORAGE_ALIAS]

    def open(self, name, mode="rb"):
        return self.backend().open(name, mode)

    def save(self, name, content, max_length=None):
        return self.backend().save(name, content, max_length=max_length)

    def get_valid_name(self, name):
        return self.backend().get_valid_name(name)

    def get_alternative_name(self, file_root, file_ext):
        return self.backend().get_alternative_name(file_root, file_ext)

    def get_available_name(self, name, max_length=None):
        return self.backend().get_available_name(name, max_length=max_length)

    def generate_filename(self, filename):
        return self.backend().generate_filename(filename)

    def path(self, name):
        return self.backend().path(name)

    def delete(self, name):
        return self.backend().delete(name)

    def exists(self, name):
        return self.backend().exists(name)

    def listdir(self, path):
        return self.backend().listdir(path)

    def size(self, name):
        return self.backend().size(name)

    def get_accessed_time(self, name):
        return self.backend().get_accessed_time(name)

    def get_created_time(self, name):
        return self.backend().get_created_time(name)

    def get_modified_time(self, name):
        return self.backend().get_modified_time(name)

    def url(self, name):
        raise NotImplementedError("Private files have no public URL; serve them through a permission-checked view.")


_storage = PrivateStorage()


def private_storage():
    return _storage


def _flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (environ.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"Environment variable {name} must be true or false, not {raw!r}.")


def s3_storages(environ: Mapping[str, str]) -> dict | None:
    """The STORAGES entries for S3-compatible storage, from AWS_* variables; None when AWS_STORAGE_BUCKET_NAME is
    unset (files stay on local disk). Public media (Wagtail images, renditions and documents) go to the `media/`
    prefix, private files to `private/` (or to AWS_PRIVATE_STORAGE_BUCKET_NAME when set, under the same prefix).

    Credentials are not read here: boto3 finds AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment, or an
    instance role, as it always does. The same function configures production and the tests (against moto)."""
    bucket = (environ.get("AWS_STORAGE_BUCKET_NAME") or "").strip()
    if not bucket:
        return None
    common = {
        "bucket_name": bucket,
        "endpoint_url": (environ.get("AWS_S3_ENDPOINT_URL") or "").strip() or None,
        "region_name": (environ.get("AWS_S3_REGION_NAME") or "").strip() or None,
        "addressing_style": (environ.get("AWS_S3_ADDRESSING_STYLE") or "").strip() or None,
        "signature_version": "s3v4",
        # Never replace an object that has the same name: a second upload gets a new name, as on disk.
        "file_overwrite": False,
        # Downloads are read into a temporary file that moves to disk past 8 MB (0 would keep a backup in memory).
        "max_memory_size": 8 * 1024 * 1024,
        "default_acl": None,  # the bucket's own policy decides; no object is made public by an ACL
    }
    media_signed = _flag(environ, "AWS_S3_MEDIA_SIGNED_URLS", False)
    media = {
        **common,
        "location": "media",
        "querystring_auth": media_signed,
        "custom_domain": (environ.get("AWS_S3_CUSTOM_DOMAIN") or "").strip() or None,
    }
    private = {
        **common,
        "bucket_name": (environ.get("AWS_PRIVATE_STORAGE_BUCKET_NAME") or "").strip() or bucket,
        "location": "private",
        "querystring_auth": True,
    }
    return {
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": media},
        PRIVATE_STORAGE_ALIAS: {"BACKEND": "portal.society.s3_storage.PrivateS3Storage", "OPTIONS": private},
    }
