"""Issue 14, approval lists for every kind: KYC documents, dividend declarations and financial statement packs are
listed like loan approvals (the member or the record, what, how much where there is a sum, the step and the days
waiting); a reader without a decision permission gets a read-only page; Wagtail's own action URL sends a refused
decision to the confirmation page instead of a server error."""

import datetime
import html as html_lib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from wagtail.models import TaskState

from portal.dividends.services import dividend_prepare
from portal.members import roles
from portal.members.kyc import kyc_document_upload
from portal.reports.services import financial_statement_prepare
from tests.conftest import sign_in_verified
from tests.factories import dividend_terms

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _text(response) -> str:
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def _wait_three_days(obj):
    TaskState.objects.filter(pk=obj.current_workflow_task_state.pk).update(
        started_at=timezone.now() - datetime.timedelta(days=3, hours=1)
    )


@pytest.fixture
def kyc_case(member, staff_user, make_user, settings, tmp_path):
    """Wanjiku Kamau's national ID waiting for the clerks; an auditor reads KYC without deciding it."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    upload = SimpleUploadedFile("id.pdf", PDF, "application/pdf")
    document = kyc_document_upload(member=member, document_type="national_id_front", upload=upload, by=member.user)
    _wait_three_days(document)
    return {
        "obj": document,
        "base": "/admin/snippets/members/kycdocument/",
        "decider": staff_user(roles.CLERKS),
        "reader": make_user("auditor@sacco.example", role=roles.AUDITORS),
        "shows": [f"{member.full_name} ({member.membership_number})", "National ID", "KYC check", "3 days"],
        "reader_shows": ["Open the file"],
    }


@pytest.fixture
def dividend_case(year_2025, staff_user, deciders):
    """The 2025 declaration the treasurer prepared, waiting for the committee; the treasurer reads it."""
    treasurer = staff_user(roles.TREASURER)
    declaration = dividend_prepare(**dividend_terms(), by=treasurer)
    _wait_three_days(declaration)
    return {
        "obj": declaration,
        "base": "/admin/snippets/dividends/dividenddeclaration/",
        "decider": deciders["joseph"],
        "reader": treasurer,
        "shows": ["Financial year 2025", "10 % on share capital", "KES 4,146.66", "Dividend approval", "3 days"],
        "reader_shows": ["Net to members"],
    }


@pytest.fixture
def statement_case(member, staff_user, deciders):
    """A first-quarter pack the treasurer prepared, waiting for the committee; the treasurer reads it."""
    treasurer = staff_user(roles.TREASURER)
    statement = financial_statement_prepare(
        start=datetime.date(2026, 1, 1), end=datetime.date(2026, 3, 31), title="Q1 2026 pack", by=treasurer
    )
    _wait_three_days(statement)
    return {
        "obj": statement,
        "base": "/admin/snippets/reports/financialstatement/",
        "decider": deciders["joseph"],
        "reader": treasurer,
        "shows": ["Q1 2026 pack", "01 Jan 2026 to 31 Mar 2026", "Statement approval", "3 days"],
        "reader_shows": ["Download: PDF"],
    }


CASES = ["kyc_case", "dividend_case", "statement_case"]


@pytest.mark.parametrize("case", CASES)
def test_the_list_shows_the_subject_what_amount_step_and_days_waiting(client, request, case):
    case = request.getfixturevalue(case)
    sign_in_verified(client, case["decider"])
    response = client.get(case["base"])
    assert response.status_code == 200
    text = _text(response)
    for expected in case["shows"]:
        assert expected in text, expected
    html = response.content.decode()
    assert f"{case['base']}edit/{case['obj'].pk}/" in html  # the decider opens the case


@pytest.mark.parametrize("case", CASES)
def test_a_reader_without_a_decision_permission_gets_a_read_only_page(client, request, case):
    case = request.getfixturevalue(case)
    obj, base = case["obj"], case["base"]
    sign_in_verified(client, case["reader"])
    listing = client.get(base)
    assert listing.status_code == 200
    html = listing.content.decode()
    assert f"{base}inspect/{obj.pk}/" in html
    assert f"{base}edit/" not in html and "/decide/" not in html

    page = client.get(f"{base}inspect/{obj.pk}/")
    assert page.status_code == 200
    text = _text(page)
    assert "Read only" in text and "Decisions so far" in text
    for expected in [case["shows"][0], *case["reader_shows"]]:
        assert expected in text, expected
    assert "/decide/" not in page.content.decode()

    old_link = client.get(f"{base}edit/{obj.pk}/")
    assert old_link.status_code == 302 and old_link["Location"] == f"{base}inspect/{obj.pk}/"


@pytest.mark.parametrize("case", CASES)
def test_wagtails_action_url_sends_to_the_confirmation_page(client, request, case):
    """Opened or posted as a plain page, Wagtail's action URL decides nothing: it sends to the decision page."""
    case = request.getfixturevalue(case)
    obj, base = case["obj"], case["base"]
    sign_in_verified(client, case["decider"])
    task_state = obj.current_workflow_task_state
    meta = obj._meta
    for action in ("approve", "reject"):
        url = f"{base}workflow/action/{obj.pk}/{action}/{task_state.pk}/"
        decide = f"/admin/approvals/{meta.app_label}/{meta.model_name}/{obj.pk}/decide/{action}/"
        for response in (client.get(url), client.post(url, {"comment": "One click"})):
            assert response.status_code == 302 and response["Location"] == decide
        task_state.refresh_from_db()
        assert task_state.status == TaskState.STATUS_IN_PROGRESS
        page = client.get(decide)
        assert page.status_code == 200
        assert ("Confirm approval" if action == "approve" else "Confirm rejection") in _text(page)


def test_wagtails_modal_still_asks_for_a_reason(client, kyc_case):
    """From Wagtail's own modal (JavaScript), a rejection without a reason shows the modal's form error."""
    document = kyc_case["obj"]
    sign_in_verified(client, kyc_case["decider"])
    task_state = document.current_workflow_task_state
    url = f"{kyc_case['base']}workflow/action/{document.pk}/reject/{task_state.pk}/"
    response = client.post(url, {"comment": ""}, headers={"x-requested-with": "XMLHttpRequest"})
    assert response.status_code == 200 and response.json()["step"] == "action"
    task_state.refresh_from_db()
    assert task_state.status == TaskState.STATUS_IN_PROGRESS
