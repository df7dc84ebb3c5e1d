"""Production settings as the scale-out test runs them (tests/functional/test_scale_out.py): two gunicorn instances
and a django-q2 worker behind haproxy, over plain HTTP on 127.0.0.1, sharing Redis and the test database.

Everything else is production's (portal/settings/production.py, read from the same environment): Redis cache,
sessions and queue, the middleware, the probes, JSON logs. Only what a throwaway test deployment on the loopback
cannot have is changed below. Never deploy with this module: it refuses to load unless PORTAL_SCALEOUT_TEST=1.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .production import *  # noqa: F403
from .production import Q_CLUSTER, STORAGES

if os.environ.get("PORTAL_SCALEOUT_TEST") != "1":
    raise ImproperlyConfigured("portal.settings.scaleout is for the scale-out test only (PORTAL_SCALEOUT_TEST=1).")

# Plain HTTP through the local load balancer: cookies without the Secure flag, no redirect to HTTPS, no HSTS.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0

# Static files from the finders, so no collectstatic is needed before the test.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True

# The people the test creates (under the test settings) have MD5 password hashes.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Mail to files in the test's folder, not SMTP.
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", "")

# One worker process and no scheduler: the test's tasks are the ones it causes, not the nightly schedules.
Q_CLUSTER = {**Q_CLUSTER, "workers": 1, "scheduler": False}
