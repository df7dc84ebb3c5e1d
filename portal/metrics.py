"""`/metrics` for Prometheus (production settings, django-prometheus), not public.

A scrape is let in when either
- the peer's address (REMOTE_ADDR: whoever opened the connection to this server, never a forwarded header, which
  anyone can write) is in METRICS_ALLOWED_IPS (addresses or CIDR ranges), for a Prometheus that scrapes the app
  servers directly on the private network; or
- it carries `Authorization: Bearer <METRICS_TOKEN>` (compared in constant time), for a scrape through the proxy.
Anything else is a plain 403 (no template, no database). Neither configured: nobody gets in.
"""

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpResponseForbidden
from django.views.decorators.cache import never_cache


def metrics_address_allowed(address: str | None) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in getattr(settings, "METRICS_ALLOWED_IPS", []):
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def metrics_token_ok(header: str) -> bool:
    expected = getattr(settings, "METRICS_TOKEN", "") or ""
    scheme, _, token = (header or "").partition(" ")
    if not expected or scheme.lower() != "bearer" or not token.strip():
        return False
    return hmac.compare_digest(token.strip().encode(), expected.encode())


@never_cache
def metrics_view(request):
    """django-prometheus's exporter behind the checks above."""
    if not (
        metrics_address_allowed(request.META.get("REMOTE_ADDR"))
        or metrics_token_ok(request.META.get("HTTP_AUTHORIZATION", ""))
    ):
        return HttpResponseForbidden("Forbidden.", content_type="text/plain; charset=utf-8")
    from django_prometheus.exports import ExportToDjangoView

    return ExportToDjangoView(request)


class MetricsMiddleware:
    """Production only, right below the probes' middleware: answers `/metrics` before the host check
    (CommonMiddleware's ALLOWED_HOSTS: a scraper reaches an app server by its address), sessions and sign-in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == "/metrics" and request.method in ("GET", "HEAD"):
            return metrics_view(request)
        return self.get_response(request)
