"""Local development: SQLite by default, console email, DEBUG on."""

import os

from .base import *  # noqa: F403

DEBUG = True
SECRET_KEY = "dev-only-secret-key-not-for-production"  # noqa: S105 - dev only
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# Static files come from the finders (no collectstatic needed outside production).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True

# M-Pesa in development: a fixed callback token; `make run` points MPESA_BASE_URL at the fake Daraja
# (portal/mpesa/fake_daraja.py) so "Pay with M-Pesa" posts a payment without Safaricom.
MPESA_CALLBACK_TOKEN = os.environ.get("MPESA_CALLBACK_TOKEN", "dev-callback-token-not-for-production-0123456789")
SMS_DELIVERY_REPORT_TOKEN = os.environ.get("SMS_DELIVERY_REPORT_TOKEN", "dev-sms-report-token-not-for-production")
