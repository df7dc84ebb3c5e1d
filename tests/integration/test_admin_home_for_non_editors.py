"""Issue 14: finance roles who do not edit the public site see no "Search all pages…" and no Wagtail editor guide
on the admin home (the page search and the guide are for the site's editors); the dashboard counts check-off files
in the folder the check-off desk keeps them in (one definition of that folder)."""

import pytest

from portal.contributions.checkoff_uploads import checkoff_upload_keep
from portal.members import roles
from portal.reports.dashboard import checkoff_files_waiting
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db

SEARCH = "Search all pages"
GUIDE = "editor guide"


@pytest.mark.parametrize("role", [roles.TREASURER, roles.AUDITORS, roles.LOANS_OFFICERS, roles.CREDIT_COMMITTEE])
def test_non_editors_get_no_page_search_and_no_editor_guide(client, staff_user, role):
    sign_in_verified(client, staff_user(role))
    response = client.get("/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    assert SEARCH not in html and GUIDE not in html
    assert "/admin/pages/search/" not in html
    assert 'href="/admin/account/"' in html  # the account link stays


@pytest.mark.parametrize("role", [roles.CLERKS, roles.ADMINISTRATORS])
def test_site_editors_keep_them(client, staff_user, role):
    sign_in_verified(client, staff_user(role))
    html = client.get("/admin/").content.decode()
    assert SEARCH in html and GUIDE in html


def test_the_dashboard_counts_files_in_the_check_off_folder(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    assert checkoff_files_waiting() == 0  # no folder yet: nothing waits, and reading creates nothing
    assert not (tmp_path / "private").exists()
    checkoff_upload_keep(sha="c" * 64, content=b"previewed")  # where the check-off desk keeps its previews
    assert (tmp_path / "private" / "checkoff-uploads" / ("c" * 64)).read_bytes() == b"previewed"
    assert checkoff_files_waiting() == 1
