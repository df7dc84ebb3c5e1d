"""Issue 14: every `aria-describedby` on a form points at elements that exist on the page (the help text's id was
`_help` while Django's widgets point at `_helptext`, so screen readers read no help at all)."""

import re

import pytest

from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db

PAGES = ["/portal/profile/", "/portal/profile/bank/", "/portal/documents/", "/portal/loans/apply/"]


def _dangling(html: str) -> set[str]:
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    referenced = {ref for refs in re.findall(r'aria-describedby="([^"]+)"', html) for ref in refs.split()}
    return referenced - ids


def test_public_forms_describe_fields_with_ids_that_exist(client):
    html = client.get("/accounts/login/").content.decode()
    assert "aria-describedby" in html or "field__help" not in html
    assert _dangling(html) == set()


def test_member_forms_describe_fields_with_ids_that_exist(client, member):
    sign_in_verified(client, member.user)
    described = 0
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        described += html.count("aria-describedby")
        assert _dangling(html) == set(), path
    assert described > 0
