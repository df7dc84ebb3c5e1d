"""Production settings: everything secret or host-specific comes from the environment.

The process refuses to start when a required variable is missing or holds an insecure value,
so a forgotten SECRET_KEY cannot silently fall back to a known default.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from portal.society.storage import s3_storages

from .base import *  # noqa: F403
from .base import STORAGES


def _require(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"Environment variable {name} is required in production.")
    return value


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"Environment variable {name} must be true or false, not {raw!r}.")


SECRET_KEY = _require("SECRET_KEY")
if (
    len(SECRET_KEY) < 50
    or len(set(SECRET_KEY)) < 5
    or SECRET_KEY.startswith("django-insecure")
    or "dev-only" in SECRET_KEY
):
    raise ImproperlyConfigured("SECRET_KEY is too short or a known development value; generate a new one.")

DEBUG = _bool("DEBUG", False)
if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production settings.")

ALLOWED_HOSTS = [host.strip() for host in _require("ALLOWED_HOSTS").split(",") if host.strip()]
CSRF_TRUSTED_ORIGINS = [f"https://{host.lstrip('.')}" for host in ALLOWED_HOSTS if host != "*"]
if "*" in ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the hosts; '*' is not allowed in production.")

_require("DATABASE_URL")  # database_from_environment() in base already read it
# DATABASE_REPLICA_URL (optional; base added the `replica` database and its router): a streaming replica of the
# primary, so both must be PostgreSQL — a second SQLite file would be another database, not a copy.
if "replica" in DATABASES and {DATABASES["default"]["ENGINE"], DATABASES["replica"]["ENGINE"]} != {  # noqa: F405
    "django.db.backends.postgresql"
}:
    raise ImproperlyConfigured("DATABASE_REPLICA_URL needs PostgreSQL for both DATABASE_URL and the replica.")

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = _require("EMAIL_HOST")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_USE_SSL = _bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
DEFAULT_FROM_EMAIL = _require("DEFAULT_FROM_EMAIL")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", f"https://{ALLOWED_HOSTS[0].lstrip('.')}")

# HTTPS everywhere; the proxy in front terminates TLS and sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = _bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Wagtail's live preview shows the page in a same-origin iframe, so DENY would break editing; SAMEORIGIN still
# stops other sites from framing the portal. That is why security.W019 is silenced.
X_FRAME_OPTIONS = "SAMEORIGIN"
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W019"]  # noqa: F405
DEMO_DATA_ALLOWED = False

# With AWS_STORAGE_BUCKET_NAME (and AWS_S3_ENDPOINT_URL for a non-AWS store): public media and every private file
# (KYC, receipts, report runs, exports, backups) in S3-compatible storage, shared by all app servers and workers.
# What goes where, and how private files are served: docs/operations.md, "S3-compatible storage".
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    **(s3_storages(os.environ) or {}),
}
MEDIA_ROOT = os.environ.get("MEDIA_ROOT", str(MEDIA_ROOT))  # noqa: F405
PRIVATE_MEDIA_ROOT = os.environ.get("PRIVATE_MEDIA_ROOT", str(PRIVATE_MEDIA_ROOT))  # noqa: F405

# --- Redis (issue 17; docs/operations.md "Redis"): with REDIS_URL, what app servers must share lives there --------
# - The cache, and with it every rate limit that counts in the cache (allauth's, the API throttles, guarantor
#   lookups, unlock-link requests, revoked tokens): one count for all servers, not one per server. (The sign-in
#   lockout itself counts in the database, through django-axes, so it is shared either way.)
# - Sessions, "cached_db": read from Redis (no session query per request), written through to the database. A
#   member's session survives any one app server going away (every server reads the same Redis and database) and
#   also Redis being restarted, flushed or evicting keys under memory pressure: a missed read falls back to the
#   database (Django also logs, rather than raises, a failed cache write). The pure "cache" engine would sign
#   everyone out, half-way through a second-factor step, whenever Redis loses its keys.
# - The django-q2 queue, on its Redis broker instead of the database table: workers on any machine take tasks
#   with a blocking pop instead of polling the table. It goes through the "queue" cache alias only so that the
#   connections are pooled (django-q2 would open a new connection for every task queued with a bare URL).
#   REDIS_QUEUE_URL may put the queue in another Redis (or database number): a cache is best run with an evicting
#   memory policy, a queue must never be evicted, and `cache.clear()` empties the whole database it is in.
# REDIS_KEY_PREFIX namespaces the cache keys and the queue, for several sites (or test runs) on one Redis.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    REDIS_QUEUE_URL = os.environ.get("REDIS_QUEUE_URL", "").strip() or REDIS_URL
    REDIS_KEY_PREFIX = os.environ.get("REDIS_KEY_PREFIX", "").strip()
    _redis_options = {
        # A Redis that does not answer fails the request (and /readyz) within seconds, not at gunicorn's timeout.
        "SOCKET_CONNECT_TIMEOUT": float(os.environ.get("REDIS_CONNECT_TIMEOUT", "2")),
        "SOCKET_TIMEOUT": float(os.environ.get("REDIS_TIMEOUT", "2")),
    }
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_KEY_PREFIX,
            "OPTIONS": _redis_options,
        },
        # The queue's connection pool (Q_CLUSTER["django_redis"]); not a cache anything else should use.
        "queue": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_QUEUE_URL, "OPTIONS": _redis_options},
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    # The queue's Redis key is django_q:<name>:q. Without "orm", django-q2 uses its Redis broker. Note: that
    # broker has no acknowledgement, so "retry" does not apply: a task whose worker is killed in the middle of it is
    # not handed out again (the database broker does so after `retry` seconds); docs/operations.md "Redis".
    Q_CLUSTER = {  # noqa: F405
        **{key: value for key, value in Q_CLUSTER.items() if key != "orm"},  # noqa: F405
        "name": f"portal-{REDIS_KEY_PREFIX}" if REDIS_KEY_PREFIX else "portal",
        "django_redis": "queue",
    }

# --- Beyond one machine (issue 17): probes, metrics, JSON logs ----------------------------------------------------
# Load balancers probe over plain HTTP: the probes are not redirected to HTTPS (portal/health.py). Nor is a
# Prometheus scrape straight to an app server on the private network (allowed by address, portal/metrics.py).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

# Prometheus metrics (django-prometheus): request counts and latencies by view, exceptions, migrations. The
# outermost and innermost middleware time the whole stack. /metrics is in portal/urls_production.py.
INSTALLED_APPS = [*INSTALLED_APPS, "django_prometheus"]  # noqa: F405
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    *MIDDLEWARE,  # noqa: F405
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
# /metrics is answered just below the probes, before the ALLOWED_HOSTS check: scrapers address a server by its IP.
MIDDLEWARE.insert(MIDDLEWARE.index("portal.health.HealthProbeMiddleware") + 1, "portal.metrics.MetricsMiddleware")
ROOT_URLCONF = "portal.urls_production"
METRICS_ALLOWED_IPS = [entry.strip() for entry in os.environ.get("METRICS_ALLOWED_IPS", "").split(",") if entry.strip()]
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "").strip()
if METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 32 characters (e.g. `openssl rand -hex 32`).")

# Logs: one JSON object per line on standard output (portal/logging_json.py), same levels as base.
LOGGING = {
    **LOGGING,  # noqa: F405
    "formatters": {"json": {"()": "portal.logging_json.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"}},
}
