"""Issue 12: a Content-Security-Policy on every response, and the Wagtail admin, the member portal, the public site
and the API docs (Swagger UI and ReDoc) still work under it — no CSP violation in the browser. An inline script
injected into a portal page does not run."""

import datetime
import re

import pytest

from portal.members import roles
from tests.browser.helpers import code_from_key, sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WATCH_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


def _watched_context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(WATCH_VIOLATIONS)
    messages: list[str] = []
    context.on("console", lambda msg: messages.append(msg.text) if msg.type in ("error", "warning") else None)
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page, messages


def _signed_in(browser, base, user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="App", confirmed=True)
    page, messages = _watched_context(browser)
    sign_in(page, base, user.email, PASSWORD)
    page.get_by_role("textbox", name="Code").fill(code_from_key(device.bin_key))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_load_state("networkidle")
    return page, messages


def _visit(page, url: str) -> None:
    response = page.goto(url)
    assert response.status == 200, url
    policy = response.headers.get("content-security-policy", "")
    assert "default-src 'self'" in policy and "object-src 'none'" in policy, (url, policy)
    page.wait_for_load_state("networkidle")


def _no_violations(page, messages, where: str, *, allowed: str = "") -> None:
    """No CSP refusal on the page, except for `allowed` (a URL prefix) when given."""
    events = [e for e in page.evaluate("window.__csp || []") if not (allowed and allowed in e)]
    refused = [
        m for m in messages if ("Content Security Policy" in m or "Refused to" in m) and not (allowed and allowed in m)
    ]
    assert events == [] and refused == [], (where, events, refused)


def test_admin_portal_public_site_and_api_docs_work_under_the_policy(
    browser, live_server, demo_site, make_member, make_user
):
    base = live_server.url
    amina = make_member("amina@example.com", first_name="Amina", join_date=datetime.date(2024, 1, 10))

    # The Wagtail admin: the dashboard and an edit form with date pickers (Wagtail's inline start-up scripts).
    admin = make_user("root@sacco.example", role=roles.ADMINISTRATORS, is_superuser=True)
    page, messages = _signed_in(browser, base, admin)
    for path in ("/admin/", f"/admin/snippets/members/member/edit/{amina.pk}/", "/admin/snippets/members/member/"):
        _visit(page, base + path)
        _no_violations(page, messages, path)
    page.goto(base + f"/admin/snippets/members/member/edit/{amina.pk}/")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-controller~='w-tabs'], .w-tabs, form").count() > 0
    policy = page.goto(base + "/admin/").headers["content-security-policy"]
    assert "'unsafe-inline'" in policy.split("script-src")[1].split(";")[0]  # the admin's documented exception
    page.context.close()

    # The member portal and the public site: strict scripts (no 'unsafe-inline').
    page, messages = _signed_in(browser, base, amina.user)
    for path in ("/portal/", "/portal/contributions/", "/portal/profile/", "/"):
        _visit(page, base + path)
        _no_violations(page, messages, path)
    response = page.goto(base + "/portal/")
    assert "'unsafe-inline'" not in response.headers["content-security-policy"].split("script-src")[1].split(";")[0]
    page.wait_for_load_state("networkidle")
    # An inline script slipped into the page does not run, and the browser reports the refusal.
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__pwned = 1';"
        " document.body.appendChild(s); }"
    )
    # Wait for the browser's report (raises on timeout), rather than sleeping and hoping it has arrived.
    page.wait_for_function("() => (window.__csp || []).some(v => v.includes('script-src'))")
    assert page.evaluate("window.__pwned === undefined")
    assert any("script-src" in v for v in page.evaluate("window.__csp"))
    page.context.close()

    # The API docs: Swagger UI lists the operations; ReDoc renders the schema.
    page, messages = _watched_context(browser)
    _visit(page, base + "/api/docs/")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() > 10
    _no_violations(page, messages, "/api/docs/")
    _visit(page, base + "/api/redoc/")
    page.get_by_text(re.compile("SACCO member portal API")).first.wait_for()
    page.locator("[data-section-id]").first.wait_for()
    # ReDoc's "powered by" logo comes from its CDN; the policy blocks it and nothing else (the page works).
    _no_violations(page, messages, "/api/redoc/", allowed="https://cdn.redoc.ly/")
    page.context.close()
