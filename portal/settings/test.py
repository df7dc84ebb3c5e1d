"""Test settings: fast hashing, locmem email, jobs run synchronously."""

import os

from .base import *  # noqa: F403
from .base import BASE_DIR, Q_CLUSTER, database_from_environment, replica_database_from_environment

# TEST_DB_SUFFIX lets two test runs share one checkout (each gets its own test database and files); under
# pytest-xdist each worker (gw0, gw1, …) gets its own files too (pytest-django suffixes the databases itself).
_SUFFIX = os.environ.get("TEST_DB_SUFFIX", "")
_FILES_SUFFIX = _SUFFIX + (f"_{os.environ['PYTEST_XDIST_WORKER']}" if os.environ.get("PYTEST_XDIST_WORKER") else "")

DEBUG = False
SECRET_KEY = "test-only-secret-key-long-enough-for-hmac-sha256-signing"  # noqa: S105 - tests only
ALLOWED_HOSTS = ["*"]
DATABASES = {"default": database_from_environment(BASE_DIR / "var" / "test.sqlite3")}
DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so the browser tests' live server thread has its own connection.
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-db{_SUFFIX}.sqlite3")}
else:
    if _SUFFIX:
        DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}{_SUFFIX}"}
    # A test database need not survive a crash: don't wait for the WAL flush at each commit (transactional tests
    # and their flushes commit a lot). Nothing else changes: commits are still atomic and visible at once.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"]["options"] = "-c synchronous_commit=off"
# DATABASE_REPLICA_URL (CI's PostgreSQL run: a streaming replica on port 5433, bin/ci-replica-start): the replica
# is a MIRROR of the test database, which in Django only renames it (NAME becomes the test database's, HOST and PORT
# stay the replica's) and keeps the test runner from creating or flushing it: the rows get there by replication.
# The router is off unless a test switches it on (tests/integration/test_read_replica.py): in other tests a
# report's reads would reach a database they did not declare and miss their uncommitted rows.
if _replica := replica_database_from_environment():
    DATABASES["replica"] = {**_replica, "CONN_MAX_AGE": 0, "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = []
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
MEDIA_ROOT = BASE_DIR / "var" / f"test-media{_FILES_SUFFIX}"
WAGTAILADMIN_BASE_URL = "http://testserver"

# Static files come from the finders (no collectstatic needed outside production).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
SMS_BACKEND = "portal.notifications.sms.LocmemSmsBackend"
SMS_DELIVERY_REPORT_TOKEN = "test-sms-report-token-0123456789abcdef"  # noqa: S105 - tests only
PRIVATE_MEDIA_ROOT = BASE_DIR / "var" / f"test-private{_FILES_SUFFIX}"

# M-Pesa: a fixed callback token for tests; tests point MPESA_BASE_URL at the fake Daraja (portal/mpesa/fake_daraja.py).
MPESA_CALLBACK_TOKEN = "test-callback-token-0123456789abcdef0123456789abcdef"  # noqa: S105 - tests only
MPESA_CONSUMER_KEY = "test-key"
MPESA_CONSUMER_SECRET = "test-secret"  # noqa: S105 - tests only
MPESA_SHORTCODE = "600000"
MPESA_PASSKEY = "test-passkey"  # noqa: S105 - tests only
MPESA_B2C_SHORTCODE = "600001"
MPESA_B2C_INITIATOR_NAME = "testapi"
MPESA_B2C_SECURITY_CREDENTIAL = "test-credential"  # noqa: S105 - tests only
MPESA_ALLOWED_IPS = []
