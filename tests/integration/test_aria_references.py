"""Issue 14: every `aria-describedby` on a form points at elements that exist on the page (the help text's id was
`_help` while Django's widgets point at `_helptext`, so screen readers read no help at all)."""

import re

import pytest

from portal.members import roles
from portal.notifications.services import notify
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


def test_profile_and_documents_show_the_unread_badge_and_the_no_membership_page(client, member, staff_user):
    """Issue 14: every member-area page shows the inbox badge; an account without a member record gets the page that
    says so (with the way to the admin for staff), not a bare 404, on the profile and documents pages too."""
    notify(user=member.user, subject="Your statement is ready", template="generic", context={"body": "See it."})
    sign_in_verified(client, member.user)
    for path in ("/portal/profile/", "/portal/profile/bank/", "/portal/documents/"):
        html = client.get(path).content.decode()
        assert 'aria-label="1 unread"' in html, path
    client.logout()
    sign_in_verified(client, staff_user(roles.CLERKS))
    for path in ("/portal/profile/", "/portal/profile/bank/", "/portal/documents/"):
        response = client.get(path)
        assert response.status_code == 404 and "This account has no membership" in response.content.decode(), path
