"""Content-Security-Policy for every response (issue 12), through django-csp.

The policy (settings `CONTENT_SECURITY_POLICY`) lets pages run only our own scripts: files from our origin, plus
inline scripts that carry the request's nonce (the API docs' Swagger UI and ReDoc start-up scripts, see
templates/drf_spectacular/). Anything injected into a page — a member's name that slipped past escaping, a
polyglot upload — cannot run.

One exception: the Wagtail admin. Wagtail 7 writes small inline start-up scripts without a nonce (date and time
pickers, inline panels, workflow actions), so under the admin's prefix script-src also allows 'unsafe-inline'.
Every admin page sits behind a staff sign-in with the second factor, and Wagtail escapes what it shows; the
portal, the public site and the API docs keep the strict policy.
"""

from functools import cache

from csp.constants import SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts

ADMIN_SCRIPT_SRC = [SELF, UNSAFE_INLINE]


@cache
def admin_prefix() -> str:
    from django.urls import reverse

    return reverse("wagtailadmin_home")


class PortalCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, with the Wagtail admin's script exception described above."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request=request, response=response, report_only=report_only)
        if request.path_info.startswith(admin_prefix()):
            # A nonce would make browsers ignore 'unsafe-inline', so the admin's policy carries none.
            parts.replace = {**(parts.replace or {}), "script-src": ADMIN_SCRIPT_SRC}
            parts.nonce = None
        return parts
