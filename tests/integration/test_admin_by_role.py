"""Issue 14: the admin by role. Menus show the public site's CMS only to those who edit the site, never two
top-level items with one label; the dashboard opens with the role's work (counts and links); the audit trail
opens on SACCO actions; no avatar from an outside service; the statement downloads work on a first visit."""

import html
import json
import os
import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from wagtail.log_actions import log

from portal.finance.banking.models import BankTransaction
from portal.finance.banking.reconciliation import statement_import
from portal.finance.banking.services import bank_account_primary
from portal.loans.approval import loan_review_act
from portal.loans.demo import loans_seed
from portal.loans.models import LoanProduct
from portal.loans.services import application_submit
from portal.members import roles
from portal.members.kyc import kyc_document_upload
from portal.reports.exports import CONTENT_TYPES
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db

CMS_LABELS = {"Pages", "Images", "Documents", "Snippets", "Forms", "Site reports", "Help"}
SITE_EDITORS = {roles.CLERKS, roles.ADMINISTRATORS}  # roles.ROLE_PAGE_PERMISSIONS: they edit the public site
# The work each role finds in its menu (besides whatever else its permissions add).
WORK_MENUS = {
    roles.CLERKS: {"Members", "KYC documents", "Savings", "Loans"},
    roles.LOANS_OFFICERS: {"Members", "Loans"},
    roles.CREDIT_COMMITTEE: {"Loans", "Dividends", "Reports"},
    roles.TREASURER: {"Savings", "Loans", "Dividends", "Reports", "Ledger", "Settings"},
    roles.AUDITORS: {"Members", "Ledger", "Reports"},
    roles.ADMINISTRATORS: {"Members", "Savings", "Loans", "Ledger", "Reports", "Settings"},
}
LOCK_CELL = '<td data-label="Action">wagtail.lock</td>'
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
STATEMENT = b"""Date,Reference,Details,Paid In,Withdrawn
02/03/2026,qk7h2m1x,MPESA deposit,"2,500.00",
31/03/2026,,Bank charges,,150.00
"""


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.PRIVATE_MEDIA_ROOT


def _menu(page: str) -> dict[str, list[str]]:
    """The sidebar's top-level labels, each with its submenu's labels, from the props Wagtail renders."""
    props = json.loads(re.search(r'id="wagtail-sidebar-props" type="application/json">(.*?)</script>', page, re.S)[1])
    [main] = [m for m in props["modules"] if m["_type"] == "wagtail.sidebar.MainMenuModule"]
    menu = {}
    for item in main["_args"][0]:
        args = item["_args"]
        children = args[1] if len(args) > 1 and isinstance(args[1], list) else []
        menu.setdefault(args[0]["label"], []).append([child["_args"][0]["label"] for child in children])
    return menu


def _work(page: str) -> dict[str, tuple[str, str]]:
    """The dashboard's work items: key -> (text, link)."""
    found = re.findall(r'<li data-work="([^"]+)">.*?<a href="([^"]+)">([^<]+)</a></li>', page, re.S)
    return {key: (text, html.unescape(href)) for key, href, text in found}


def _signed_in(client, staff_user, role):
    user = staff_user(role)
    sign_in_verified(client, user)
    return user


@pytest.mark.parametrize("role", roles.STAFF_ROLES)
def test_menus_by_role(client, staff_user, role):
    _signed_in(client, staff_user, role)
    page = client.get("/admin/").content.decode()
    menu = _menu(page)
    assert all(len(entries) == 1 for entries in menu.values()), {k: v for k, v in menu.items() if len(v) > 1}
    labels = set(menu)
    assert WORK_MENUS[role] <= labels, WORK_MENUS[role] - labels
    if role in SITE_EDITORS:
        assert {"Pages", "Documents", "Snippets", "Site reports"} <= labels  # Forms: once a form page exists
    else:
        assert not labels & CMS_LABELS, labels & CMS_LABELS
    if "Settings" in menu and role not in SITE_EDITORS:
        assert menu["Settings"] == [["SACCO settings"]]  # not users, sites, collections, redirects...
    if role == roles.ADMINISTRATORS:
        assert {"Users", "Groups", "SACCO settings"} <= set(menu["Settings"][0])


def test_members_do_not_enter_the_admin(client, member):
    sign_in_verified(client, member.user)
    assert client.get("/admin/").status_code == 302


def test_the_dashboard_opens_with_each_roles_work(client, staff_user, member, deciders, borrower, products):
    kyc_document_upload(
        member=member,
        document_type="national_id_front",
        upload=SimpleUploadedFile("id.pdf", PDF, content_type="application/pdf"),
        by=member.user,
    )
    application = application_submit(
        member=borrower, product=products["development"], amount="50000", term_months=12, purpose="Dairy"
    )

    def work_of(user):
        sign_in_verified(client, user)
        page = client.get("/admin/").content.decode()
        return page, _work(page)

    page, work = work_of(staff_user(roles.CLERKS))
    assert work["kycdocument"] == ("1 KYC document to review", "/admin/snippets/members/kycdocument/")
    assert work["checkoff"][0] == "0 check-off files to confirm" and "loanreview" not in work
    assert "unreconciled" not in work and "disburse" not in work

    page, work = work_of(deciders["officer"])
    assert work == {"loanreview": ("1 loan approval waiting for you", "/admin/snippets/loans/loanreview/")}
    assert "Pages" not in page.split("w-summary__list", 1)[1].split("</ul>", 1)[0]  # no CMS counts

    loan_review_act(application=application, user=deciders["officer"], action="approve", reason="Sound")
    assert work_of(deciders["officer"])[1]["loanreview"][0] == "0 loan approvals waiting for you"
    page, work = work_of(deciders["joseph"])
    assert work["loanreview"][0] == "1 loan approval waiting for you"
    assert {"financialstatement", "dividenddeclaration"} <= set(work) and "kycdocument" not in work
    loan_review_act(application=application, user=deciders["joseph"], action="approve", reason="")
    assert work_of(deciders["joseph"])[1]["loanreview"][0] == "0 loan approvals waiting for you"  # voted
    assert work_of(deciders["mercy"])[1]["loanreview"][0] == "1 loan approval waiting for you"

    page, work = work_of(staff_user(roles.AUDITORS))
    assert set(work) == {"unreconciled"} and "The society today" in page


def test_the_treasurers_desk(client, staff_user, private_root):
    treasurer = _signed_in(client, staff_user, roles.TREASURER)
    uploads = private_root / "checkoff-uploads"
    uploads.mkdir(parents=True)
    (uploads / ("a" * 64)).write_bytes(b"previewed today")
    old = uploads / ("b" * 64)
    old.write_bytes(b"previewed last month")
    month_ago = time.time() - 30 * 86400
    os.utime(old, (month_ago, month_ago))
    statement_import(bank_account=bank_account_primary(), content=STATEMENT, file_name="march.csv")
    assert BankTransaction.objects.filter(matched_line=None).count() == 2

    sign_in_verified(client, treasurer)
    page = client.get("/admin/").content.decode()
    work = _work(page)
    assert set(work) == {"checkoff", "disburse", "unreconciled"}
    assert work["checkoff"] == ("1 check-off file to confirm", "/admin/savings/checkoff/")
    assert work["disburse"] == (
        "0 approved loans to disburse",
        "/admin/snippets/loans/loanapplication/?status=approved",
    )
    text, link = work["unreconciled"]
    assert text == "2 unreconciled bank lines" and "start=2026-03-02" in link
    listed = client.get(link).content.decode()
    assert "Bank charges" in listed and "MPESA deposit" in listed  # the link shows the lines it counts
    assert "Pages" not in page.split("w-summary__list", 1)[1].split("</ul>", 1)[0]


def test_site_editors_keep_the_cms_counts_after_their_work(client, staff_user):
    _signed_in(client, staff_user, roles.ADMINISTRATORS)
    summary = client.get("/admin/").content.decode().split("w-summary__list", 1)[1].split("</ul>", 1)[0]
    assert summary.index('data-work="kycdocument"') < summary.index(" Page ")


def test_the_audit_trail_opens_on_sacco_actions(client, staff_user, member, deciders, borrower, products):
    application = application_submit(
        member=borrower, product=products["development"], amount="50000", term_months=12, purpose="Dairy"
    )
    loan_review_act(application=application, user=deciders["officer"], action="approve", reason="Sound")
    loans_seed()
    treasurer = _signed_in(client, staff_user, roles.TREASURER)
    product = LoanProduct.objects.get(slug="emergency")
    log(instance=product, action="wagtail.lock", user=treasurer)  # a CMS action
    sign_in_verified(client, staff_user(roles.AUDITORS))

    page = client.get("/admin/audit/").content.decode()
    assert '<option value="sacco" selected>' in page
    assert 'value="sacco.post"' in page and 'value="wagtail.workflow.approve"' in page
    assert 'value="wagtail.lock"' not in page and 'value="wagtail.publish"' not in page
    assert "wagtail.workflow.approve" in page  # the officer's approval is a SACCO action
    assert LOCK_CELL not in page

    everything = client.get("/admin/audit/?scope=all").content.decode()
    assert 'value="wagtail.lock"' in everything and LOCK_CELL in everything
    chosen = client.get("/admin/audit/?action=wagtail.lock").content.decode()  # a chosen action wins
    assert LOCK_CELL in chosen and 'value="wagtail.lock" selected' in chosen
    bad = client.get("/admin/audit/?scope=some").content.decode()
    assert "scope: &#x27;some&#x27; is not one of" in bad


@pytest.mark.parametrize("role", [roles.TREASURER, roles.ADMINISTRATORS])
def test_no_avatars_from_outside_services(client, staff_user, role):
    _signed_in(client, staff_user, role)
    for url in ("/admin/", "/admin/account/", "/admin/audit/" if role == roles.ADMINISTRATORS else "/admin/"):
        page = client.get(url).content.decode().lower()
        assert "gravatar" not in page, url


def test_statement_downloads_work_on_a_first_visit(client, staff_user):
    _signed_in(client, staff_user, roles.TREASURER)
    page = client.get("/admin/reports/financial-statements/").content.decode()
    links = [html.unescape(h) for h in re.findall(r'<a href="(\?[^"]*output=[a-z]+)">', page)]
    today = timezone.localdate()
    assert len(links) == 3 and all(f"start={today.year}-01-01" in link for link in links), links
    for link in links:
        output = link.rsplit("=", 1)[1]
        response = client.get("/admin/reports/financial-statements/" + link)
        assert response.status_code == 200 and response["Content-Type"].startswith(CONTENT_TYPES[output]), link
        assert response["Content-Disposition"].startswith("attachment")
    # A bare ?output= (an old bookmark) downloads this year to date too, rather than a page of form errors.
    bare = client.get("/admin/reports/financial-statements/?output=csv")
    assert bare.status_code == 200 and bare["Content-Type"].startswith("text/csv")
