"""Private files in an S3-compatible bucket (django-storages). Imported only when STORAGES names it, so a
deployment on local disk never loads boto3."""

from storages.backends.s3 import S3Storage


class PrivateS3Storage(S3Storage):
    """S3Storage that never hands out a URL, signed or not: private files leave only through a view that checks
    who asks (portal/society/private_files.py), so no link can be copied, logged or shared past that check."""

    def url(self, name, parameters=None, expire=None, http_method=None):
        raise NotImplementedError("Private files have no public URL; serve them through a permission-checked view.")
