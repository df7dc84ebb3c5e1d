"""Settings for bench/bench_dashboard_http.py's gunicorn: the production settings, except that static files need no
`collectstatic` manifest (the benchmark never asks for a static file; the manifest storage would refuse every
`{% static %}` without one)."""

from portal.settings.production import *  # noqa: F403
from portal.settings.production import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
