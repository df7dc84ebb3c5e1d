"""Production's URLs: portal/urls.py plus `/metrics` (guarded, see portal/metrics.py). Kept apart so that only
production settings (which install django-prometheus) expose it."""

from django.urls import path

from portal.metrics import metrics_view
from portal.urls import handler404
from portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [path("metrics", metrics_view, name="prometheus-django-metrics"), *portal_urlpatterns]

__all__ = ["handler404", "urlpatterns"]
