"""Issue 12: every response carries the Content-Security-Policy (the browser test, tests/browser/test_csp.py, shows
the pages still work under it). Scripts: our origin and the request's nonce; the Wagtail admin alone also allows
inline scripts; private files keep their own sandbox policy."""

import pytest

from portal.members import roles
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db


def _script_src(response) -> str:
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy and "frame-ancestors 'self'" in policy
    return next(part for part in policy.split(";") if part.strip().startswith("script-src")).strip()


def test_portal_api_and_docs_allow_only_our_scripts_and_the_nonce(client, member):
    client.force_login(member.user)
    for path in ("/accounts/login/", "/api/schema/", "/api/members/profile/", "/portal/profile/"):
        response = client.get(path)
        assert "'unsafe-inline'" not in _script_src(response), path
    docs = client.get("/api/docs/")
    script_src = _script_src(docs)
    nonce = script_src.split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in docs.content.decode()  # Swagger UI's start-up script carries it


def test_the_wagtail_admin_alone_allows_inline_scripts(client, staff_user):
    sign_in_verified(client, staff_user(roles.CLERKS))
    response = client.get("/admin/")
    assert response.status_code == 200
    script_src = _script_src(response)
    assert "'unsafe-inline'" in script_src and "nonce-" not in script_src  # a nonce would switch it off
