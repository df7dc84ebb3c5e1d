"""Issue 12: guards that hold for every view at once — a NUL character in any query parameter is a 400 naming the
parameter (PostgreSQL refuses NUL in text: a 500 wherever a view filtered on a raw parameter), and an unknown API
path or a malformed id in one answers JSON 404, not the public site's HTML page."""

import json
import uuid

import pytest
from rest_framework.test import APIClient

from portal.members import roles
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db


def _documented_query_parameters():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    with GENERATOR_STATS.silence():
        document = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    for path, operations in document["paths"].items():
        for parameter in operations.get("get", {}).get("parameters", []):
            if parameter["in"] == "query" and parameter["name"] != "page":
                yield path, parameter["name"]


def test_every_documented_query_parameter_refuses_a_nul_character(staff_user):
    api = APIClient()
    sign_in_verified(api, staff_user(roles.ADMINISTRATORS))
    checked = 0
    for path, name in _documented_query_parameters():
        url = path.replace("{id}", str(uuid.uuid4())).replace("{pk}", str(uuid.uuid4()))
        response = api.get(url, {name: "a\x00b"})
        assert response.status_code == 400, (url, name, response.status_code)
        assert name in response.json(), (url, name)
        checked += 1
    assert checked > 20  # the schema documents many filters; a broken generator must not pass silently


def test_portal_pages_refuse_a_nul_character_too(client, member):
    client.force_login(member.user)
    response = client.get("/portal/contributions/", {"year": "20\x0024"})
    assert response.status_code == 400 and b"year" in response.content
    # the refusal passes through the security and CSP middleware like any answer
    assert "Content-Security-Policy" in response and response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/api/no-such-thing/", "/api/members/not-a-uuid/", "/api/loans/applications/12/"])
def test_not_found_under_api_is_json(staff_user, path):
    api = APIClient()
    sign_in_verified(api, staff_user(roles.ADMINISTRATORS))
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json") and response.json() == {"detail": "Not found."}


def test_not_found_elsewhere_is_the_site_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
