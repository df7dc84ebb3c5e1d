"""Issue 12 (critical): a session signed in with the password only must not use the REST API wherever the web asks
for the second factor. Every API path, every method, every staff role → 401/403; a verified session still works."""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.members import roles
from tests.conftest import PASSWORD, sign_in_verified

pytestmark = pytest.mark.django_db

# Views that take no session at all (authentication_classes = []): the sign-in steps, the token refresh and the
# public document check.
PUBLIC = {
    "/api/auth/otp-login/",
    "/api/auth/verify-otp/",
    "/api/auth/token/refresh/",
    "/api/auth/reset-password-request/",
    "/api/auth/reset-password/",
    "/api/auth/complete-registration/",
    "/api/auth/unlock-request/",
    "/api/verify/",  # issue 18: anyone holding a document checks it
}
SAMPLE = {"uuid": str(uuid.uuid4()), "int": "7", "str": "x", "slug": "x", "path": "x"}


def _api_routes():
    """(path, view class) for every route under /api/, path parameters filled with a random id."""

    def walk(patterns, prefix):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                yield route, entry

    found = []
    for route, entry in walk(get_resolver().url_patterns, "/"):
        if not route.startswith("/api/"):
            continue
        path = route
        for converter, value in SAMPLE.items():
            while f"<{converter}:" in path:
                start = path.index(f"<{converter}:")
                path = path[:start] + value + path[path.index(">", start) + 1 :]
        assert "<" not in path, f"unfilled parameter in {route}"
        view_class = getattr(entry.callback, "cls", None) or getattr(entry.callback, "view_class", None)
        found.append((path, view_class))
    return found


def _methods(view_class):
    return [m for m in ("get", "post", "put", "patch", "delete") if view_class is not None and hasattr(view_class, m)]


def _password_only_session(client, user):
    """What /accounts/login/ leaves behind before the code is typed (the real form, through axes and allauth)."""
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    assert "_auth_user_id" in client.session and "otp_device_id" not in client.session


def test_the_walk_finds_the_api():
    paths = {path for path, _ in _api_routes()}
    assert len(paths) > 60
    expected = {"/api/members/", "/api/reports/audit-logs/", "/api/auth/invite/", "/api/reports/backups/create-backup/"}
    assert expected <= paths


@pytest.mark.parametrize("role", roles.STAFF_ROLES)
def test_every_api_path_refuses_a_password_only_staff_session(client, make_user, role):
    user = make_user(f"{role.split()[0].lower()}@sacco.example", role=role)
    TOTPDevice.objects.create(user=user, name="App", confirmed=True)  # enrolled, as staff are
    _password_only_session(client, user)
    allowed = []
    for path, view_class in _api_routes():
        if path in PUBLIC:
            continue
        for method in _methods(view_class):
            response = getattr(client, method)(path, data={}, content_type="application/json")
            if response.status_code not in (401, 403):
                allowed.append(f"{method.upper()} {path} → {response.status_code}")
    assert allowed == []


def test_the_refusal_says_why(client, staff_user):
    _password_only_session(client, staff_user(roles.ADMINISTRATORS))
    response = client.get("/api/members/")
    assert response.status_code == 401
    assert response.json()["detail"].startswith("This session has not passed the second factor")


def test_invite_and_backup_are_refused_without_the_code(client, staff_user, mailoutbox):
    """The attacks from the issue: inviting a member and starting a backup with the password alone."""
    _password_only_session(client, staff_user(roles.ADMINISTRATORS))
    invite = {"email": "x@example.com", "first_name": "X", "last_name": "Y"}
    assert client.post("/api/auth/invite/", invite, content_type="application/json").status_code == 401
    assert client.post("/api/reports/backups/create-backup/", {}, content_type="application/json").status_code == 401
    assert mailoutbox == []


def test_an_enrolled_member_needs_the_code_too(client, member):
    TOTPDevice.objects.create(user=member.user, name="App", confirmed=True)
    _password_only_session(client, member.user)
    assert client.get("/api/members/profile/").status_code == 401


def test_a_member_without_a_second_factor_uses_the_session_as_on_the_web(client, member):
    _password_only_session(client, member.user)
    assert client.get("/api/members/profile/").status_code == 200


@pytest.mark.parametrize("role", [roles.ADMINISTRATORS, roles.CLERKS])
def test_a_verified_session_still_works(client, staff_user, role):
    sign_in_verified(client, staff_user(role))
    assert client.get("/api/members/").status_code == 200
