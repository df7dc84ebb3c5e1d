"""The API shell: OpenAPI schema and docs, JWT with refresh rotation, member-scoped profile and dashboard."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from portal.members import roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def _token_pair(api, email):
    from tests.conftest import api_token_pair

    return api_token_pair(api, email)


def test_schema_and_docs_are_served_without_signing_in(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/members/profile/" in paths and "/api/members/dashboard/" in paths
    docs = api.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content
    assert b"cdn.jsdelivr" not in docs.content  # assets are served locally (sidecar), no CDN needed


def test_api_root_lists_entry_points(api):
    data = api.get("/api/").json()
    assert data["docs"].endswith("/api/docs/")
    assert data["token_refresh"].endswith("/api/auth/token/refresh/")
    assert data["otp-login"].endswith("/api/auth/otp-login/")


def test_member_reads_own_profile_with_a_jwt(api, member, other_member):
    tokens = _token_pair(api, member.user.email)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    profile = api.get("/api/members/profile/").json()
    assert profile["membership_number"] == member.membership_number
    assert profile["email"] == member.user.email
    dashboard = api.get("/api/members/dashboard/").json()
    assert dashboard["membership_number"] == member.membership_number
    assert other_member.membership_number not in str(profile) + str(dashboard)


@pytest.mark.parametrize("path", ["/api/members/profile/", "/api/auth/profile/"])
@pytest.mark.parametrize(
    "field", ["membership_number", "role", "status", "is_staff", "national_id", "payroll_number", "groups"]
)
def test_a_member_cannot_promote_themselves_or_change_identity(api, member, path, field):
    api.force_authenticate(member.user)
    response = api.patch(path, {field: "ADMIN"}, format="json")
    assert response.status_code == 400
    assert response.json() == {field: ["You cannot change this field."]}
    member.refresh_from_db()
    member.user.refresh_from_db()
    assert member.membership_number != "ADMIN" and member.status == "active" and not member.user.is_staff


def test_member_patches_contacts_and_nominees_over_the_api(api, member):
    api.force_authenticate(member.user)
    response = api.patch(
        "/api/auth/profile/",
        {
            "phone_number": "+254799000000",
            "nominees": [{"full_name": "Baraka", "relationship": "Son", "share_percent": "100"}],
        },
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["phone_number"] == "+254799000000"
    assert response.json()["nominees"][0]["share_percent"] == "100.00"
    bad = api.patch(
        "/api/auth/profile/",
        {"nominees": [{"full_name": "A", "relationship": "B", "share_percent": "50"}]},
        format="json",
    )
    assert bad.status_code == 400 and "exactly 100" in bad.json()["nominees"][0]


def test_bank_details_over_the_api_need_a_code(api, member):
    api.force_authenticate(member.user)
    response = api.patch("/api/members/profile/", {"bank_account_number": "1234567890"}, format="json")
    assert response.status_code == 403 and "otp_code" in response.json()
    member.refresh_from_db()
    assert member.bank_account_number == ""


def test_refresh_rotates_the_refresh_token(api, member):
    tokens = _token_pair(api, member.user.email)
    response = api.post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["access"] and body["refresh"] and body["refresh"] != tokens["refresh"]


def test_bad_refresh_token_is_a_clear_401_not_a_500(api):
    response = api.post("/api/auth/token/refresh/", {"refresh": "garbage"}, format="json")
    assert response.status_code == 401


def test_wrong_password_gets_no_token(api, member):
    response = api.post("/api/auth/otp-login/", {"email": member.user.email, "password": "wrong-wrong"}, format="json")
    assert response.status_code == 401
    assert "access" not in response.json()


def test_anonymous_calls_are_refused(api):
    assert api.get("/api/members/profile/").status_code == 401
    assert api.get("/api/members/dashboard/").status_code == 401


def test_staff_without_member_record_gets_a_clear_403(api, staff_user):
    api.force_authenticate(staff_user(roles.CLERKS))
    response = api.get("/api/members/profile/")
    assert response.status_code == 403
    assert "no member record" in response.json()["detail"]


def test_url_names_keep_the_seed_paths():
    assert reverse("api:member-profile") == "/api/members/profile/"
    assert reverse("api:member-dashboard") == "/api/members/dashboard/"
