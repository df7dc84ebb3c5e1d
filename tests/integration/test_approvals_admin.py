"""Issue 14, staff approvals in the admin: the list names the member, the product, the amount, the step, the days
waiting and the rules failed; Approve asks for confirmation, with a comment required when a rule fails (refused with a
form error otherwise, changing nothing); the comment reaches the audit trail; messages speak about the member; the
treasurer and the auditor read approvals without being offered what they cannot do."""

import datetime
import html as html_lib
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from wagtail.models import ModelLogEntry, TaskState

from portal.loans.approval import loan_review_act
from portal.loans.models import LoanReview
from portal.loans.services import application_submit
from portal.members import roles
from portal.members.kyc import kyc_document_upload
from portal.members.models import KycDecision
from portal.workflows.outcomes import registered_models
from portal.workflows.records import ApprovalRecord
from portal.workflows.summary import ApprovalSummary
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db

LIST = "/admin/snippets/loans/loanreview/"


@pytest.fixture
def review(borrower, products):
    """Juma Kamau's development loan of KES 100,000 at the loans officer's step, waiting three days, with his KYC
    no longer verified (a decision taken back after he applied)."""
    application = application_submit(
        member=borrower, product=products["development"], amount="100000", term_months=12, purpose="Dairy"
    )
    KycDecision.objects.filter(document__member=borrower).delete()
    review = LoanReview.objects.get(application=application)
    TaskState.objects.filter(pk=review.current_workflow_task_state.pk).update(
        started_at=timezone.now() - datetime.timedelta(days=3, hours=1)
    )
    return review


def _decide(review, action="approve"):
    return f"/admin/approvals/loans/loanreview/{review.pk}/decide/{action}/"


def _step(review) -> str:
    state = LoanReview.objects.get(pk=review.pk).current_workflow_task_state
    return state.task.name if state.status == TaskState.STATUS_IN_PROGRESS else ""


def _text(response) -> str:
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def _audit(review):
    content_type = ContentType.objects.get_for_model(LoanReview, for_concrete_model=False)
    return ModelLogEntry.objects.filter(
        content_type=content_type, object_id=str(review.pk), action__startswith="sacco."
    )


def test_the_list_names_the_member_product_amount_step_wait_and_flags(client, review, borrower, deciders):
    sign_in_verified(client, deciders["officer"])
    response = client.get(LIST)
    assert response.status_code == 200
    text = _text(response)
    assert f"Juma Kamau ({borrower.membership_number})" in text
    assert "Development loan" in text and "KES 100,000.00" in text
    assert "Loans officer appraisal" in text and "3 days" in text
    assert "KYC not verified" in text
    assert str(review.application.member_id) not in text  # not "Development loan 100000.00 for <uuid>"


def test_the_dashboard_panel_shows_the_summary_and_asks_before_deciding(client, review, borrower, deciders):
    sign_in_verified(client, deciders["officer"])
    html = client.get("/admin/").content.decode()
    text = _text(client.get("/admin/"))
    assert "Awaiting your review" in text and f"Juma Kamau ({borrower.membership_number})" in text
    assert "KES 100,000.00" in text and "KYC not verified" in text and "3 days" in text
    assert _decide(review) in html and "data-workflow-action-url" not in html  # no one-click approve


def test_approving_a_flagged_application_without_a_comment_is_refused_and_changes_nothing(client, review, deciders):
    sign_in_verified(client, deciders["officer"])
    page = client.get(_decide(review))
    assert page.status_code == 200
    text = _text(page)
    assert "Juma Kamau's KYC documents are not all verified yet." in text and "Your KYC" not in text
    assert "Why approve anyway? (required: a rule fails)" in text
    entries = _audit(review).count()

    refused = client.post(_decide(review), {"comment": "  ", "workflow-action-name": "approve"})
    assert refused.status_code == 200
    assert "Juma Kamau (" in _text(refused) and "fails: KYC not verified. Say why you approve." in _text(refused)
    assert 'aria-invalid="true"' in refused.content.decode()
    assert _step(review) == "Loans officer appraisal" and _audit(review).count() == entries

    # The edit page's own workflow action is refused the same way, and sent to the decision page.
    edit = client.post(
        f"/admin/snippets/loans/loanreview/edit/{review.pk}/",
        {"action-workflow-action": "true", "workflow-action-name": "approve"},
    )
    assert edit.status_code == 302 and edit["Location"] == _decide(review)
    assert _step(review) == "Loans officer appraisal" and _audit(review).count() == entries

    # Wagtail's own action URL (its dashboard's buttons) is sent to the decision page too, changing nothing.
    task_state = LoanReview.objects.get(pk=review.pk).current_workflow_task_state
    stock = client.post(f"/admin/snippets/loans/loanreview/workflow/action/{review.pk}/approve/{task_state.pk}/")
    assert stock.status_code == 302 and stock["Location"] == _decide(review)
    assert _step(review) == "Loans officer appraisal" and _audit(review).count() == entries

    # And from code (the API's approve endpoint): the missing comment is the reason.
    with pytest.raises(ValidationError) as refused_in_code:
        loan_review_act(application=review.application, user=deciders["officer"], action="approve")
    assert "reason" in refused_in_code.value.message_dict
    assert _step(review) == "Loans officer appraisal"


def test_with_a_comment_the_approval_proceeds_and_the_comment_is_in_the_audit_trail(client, review, deciders):
    sign_in_verified(client, deciders["officer"])
    done = client.post(
        _decide(review), {"comment": "Known to the office; IDs seen", "workflow-action-name": "approve"}, follow=True
    )
    assert done.redirect_chain[-1][0] == LIST
    assert _step(review) == "Credit committee"
    summaries = [entry.data.get("summary", "") for entry in _audit(review)]
    assert any("despite KYC not verified" in s and "Known to the office; IDs seen" in s for s in summaries)
    text = _text(done)
    assert "You approved Juma Kamau (" in text and "It now waits for: Credit committee." in text
    assert "Your " not in " ".join(str(m) for m in done.context["messages"])

    # A committee member's vote needs its own comment too.
    sign_in_verified(client, deciders["joseph"])
    assert client.post(_decide(review), {"comment": ""}).status_code == 200
    voted = client.post(_decide(review), {"comment": "Agreed, verified in person"}, follow=True)
    assert "Your vote to approve Juma Kamau (" in _text(voted) and "more approvals are needed" in _text(voted)
    assert any("Agreed, verified in person" in entry.data.get("summary", "") for entry in _audit(review))


def test_an_application_meeting_every_rule_is_confirmed_with_an_optional_comment(client, borrower, products, deciders):
    application = application_submit(
        member=borrower, product=products["development"], amount="100000", term_months=12, purpose="Dairy"
    )
    review = LoanReview.objects.get(application=application)
    assert review.approval_summary().flags == []
    sign_in_verified(client, deciders["officer"])
    assert "Comment (optional)" in _text(client.get(_decide(review)))
    client.post(_decide(review), {"comment": ""})
    assert _step(review) == "Credit committee"


def test_the_case_page_speaks_about_the_member(client, review, deciders):
    sign_in_verified(client, deciders["officer"])
    text = _text(client.get(f"/admin/snippets/loans/loanreview/edit/{review.pk}/"))
    assert "Juma Kamau's KYC documents are not all verified yet." in text
    assert "Your KYC" not in text and "you can borrow" not in text
    assert "Approve…" in text and "Reject…" in text


@pytest.mark.parametrize("role", [roles.TREASURER, roles.AUDITORS])
def test_readers_get_a_read_only_list_and_no_decisions(client, review, borrower, make_user, role):
    reader = make_user(f"{role.split()[0].lower()}@sacco.example", role=role)
    sign_in_verified(client, reader)
    html = client.get(LIST).content.decode()
    assert f"/admin/snippets/loans/loanreview/inspect/{review.pk}/" in html
    assert "/loanreview/edit/" not in html and "/decide/" not in html
    applications = client.get("/admin/snippets/loans/loanapplication/").content.decode()
    assert f"/admin/snippets/loans/loanreview/inspect/{review.pk}/" in applications
    assert "/loanreview/edit/" not in applications

    page = client.get(f"/admin/snippets/loans/loanreview/inspect/{review.pk}/")
    assert page.status_code == 200
    text = _text(page)
    assert "Read only" in text and "KES 100,000.00" in text and "Juma Kamau's KYC documents" in text
    assert "/decide/" not in page.content.decode()

    old_link = client.get(f"/admin/snippets/loans/loanreview/edit/{review.pk}/")
    assert (
        old_link.status_code == 302 and old_link["Location"] == f"/admin/snippets/loans/loanreview/inspect/{review.pk}/"
    )

    refused = client.get(_decide(review), follow=True)
    assert refused.redirect_chain[-1][0] == LIST
    assert _text(refused).count("You cannot approve") == 1
    assert _step(review) == "Loans officer appraisal"


def test_every_kind_of_approval_has_its_own_summary():
    """KYC documents, loan reviews, dividend declarations and statement packs each say whose and what they are."""
    kinds = [model for model in registered_models() if issubclass(model, ApprovalRecord)]
    assert len(kinds) >= 4
    for model in kinds:
        assert "approval_summary" in vars(model), f"{model.__name__} has no approval_summary()"


def test_a_kyc_document_summary_names_the_member(borrower):
    document = borrower.kyc_documents.first()
    summary = document.approval_summary()
    assert isinstance(summary, ApprovalSummary)
    assert summary.subject == f"Juma Kamau ({borrower.membership_number})" and summary.flags == []


def test_a_kyc_document_is_decided_through_the_same_decision_page(client, member, staff_user, settings, tmp_path):
    """The decision page is generic: a clerk verifies a member's document there (no flags, comment optional)."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    upload = SimpleUploadedFile("id.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf")
    document = kyc_document_upload(member=member, document_type="national_id_front", upload=upload, by=member.user)
    sign_in_verified(client, staff_user(roles.CLERKS))
    url = f"/admin/approvals/members/kycdocument/{document.pk}/decide/approve/"
    page = _text(client.get(url))
    assert f"{member.full_name} ({member.membership_number})" in page and "Comment (optional)" in page
    done = client.post(url, {"comment": ""}, follow=True)
    assert done.redirect_chain[-1][0] == "/admin/snippets/members/kycdocument/"
    assert f"You approved {member.full_name} ({member.membership_number}) — National ID" in _text(done)
    document.refresh_from_db()
    assert document.decision.status == "verified"


def test_a_decision_needs_a_fresh_code(client, review, deciders):
    sign_in_verified(client, deciders["officer"], fresh=False)
    stale = client.post(_decide(review), {"comment": "Seen", "workflow-action-name": "approve"})
    assert stale.status_code == 302 and "verify" in stale["Location"]
    assert _step(review) == "Loans officer appraisal"
