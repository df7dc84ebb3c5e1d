"""L4 the "Loan approval" workflow: the loans officer's appraisal, then a credit committee quorum of distinct
members; the applicant and guarantors cannot decide; reject with a reason; the member is told; the seed's
approve/reject endpoints and the admin's workflow buttons act through the same workflow."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.test import APIClient
from wagtail.models import Revision, TaskState, WorkflowState

from portal.loans.approval import loan_review_act
from portal.loans.models import ApplicationStatus, GuaranteeStatus, LoanReview
from portal.loans.services import (
    LoanStateError,
    application_submit,
    application_withdraw,
    guarantee_accept,
    guarantee_decline,
)
from portal.members import roles
from portal.workflows.models import CommitteeVote
from tests.conftest import sign_in_verified
from tests.factories import application_with_guarantors

pytestmark = pytest.mark.django_db


def _submit(borrower, products, amount="100000"):
    return application_submit(
        member=borrower, product=products["development"], amount=amount, term_months=12, purpose="Dairy"
    )


def _step(application) -> str:
    state = LoanReview.objects.get(application=application).current_workflow_task_state
    return state.task.name if state.status == TaskState.STATUS_IN_PROGRESS else ""


def test_appraisal_then_a_quorum_of_two_distinct_members_approves(borrower, products, deciders):
    application = _submit(borrower, products)
    assert _step(application) == "Loans officer appraisal"  # no guarantors needed: in review at once
    with pytest.raises(PermissionDenied):  # the committee waits for the appraisal
        loan_review_act(application=application, user=deciders["joseph"], action="approve")

    progress = loan_review_act(application=application, user=deciders["officer"], action="approve", reason="Fine")
    assert progress.step == "Credit committee" and progress.required == 2 and progress.approvals == 0
    with pytest.raises(PermissionDenied):  # the officer is not on the committee
        loan_review_act(application=application, user=deciders["officer"], action="approve")

    progress = loan_review_act(application=application, user=deciders["joseph"], action="approve")
    assert progress.approvals == 1 and progress.status == ApplicationStatus.SUBMITTED
    with pytest.raises(PermissionDenied):  # one vote each
        loan_review_act(application=application, user=deciders["joseph"], action="approve")
    assert CommitteeVote.objects.count() == 1

    mail.outbox.clear()
    progress = loan_review_act(application=application, user=deciders["mercy"], action="approve", reason="Good")
    application.refresh_from_db()
    assert progress.status == application.status == ApplicationStatus.APPROVED and progress.step == ""
    assert application.decided_by == deciders["mercy"]
    assert "Joseph Ouma, Mercy Achieng" in application.decision_reason
    assert [m.to for m in mail.outbox] == [[borrower.user.email]] and "approved" in mail.outbox[0].subject
    assert borrower.user.notifications.filter(subject__contains="approved").exists()
    review = LoanReview.objects.get(application=application)
    assert review.current_workflow_state is None  # finished
    assert WorkflowState.objects.get().status == WorkflowState.STATUS_APPROVED
    with pytest.raises(LoanStateError):
        loan_review_act(application=application, user=deciders["tom"], action="approve")


def test_one_committee_rejection_with_a_reason_rejects_and_tells_the_member(borrower, products, deciders):
    application = _submit(borrower, products)
    loan_review_act(application=application, user=deciders["officer"], action="approve")
    loan_review_act(application=application, user=deciders["joseph"], action="approve")
    with pytest.raises(ValidationError) as exc:
        loan_review_act(application=application, user=deciders["mercy"], action="reject", reason="  ")
    assert "reason" in exc.value.message_dict
    assert CommitteeVote.objects.count() == 1  # the empty rejection recorded nothing
    mail.outbox.clear()
    loan_review_act(application=application, user=deciders["mercy"], action="reject", reason="Repayment too high")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED and application.decision_reason == "Repayment too high"
    assert "Repayment too high" in mail.outbox[0].body


def test_the_applicant_and_guarantors_cannot_decide(people, products, deciders, make_user):
    from django.contrib.auth.models import Group

    juma, akinyi, baraka = people["juma"], people["akinyi"], people["baraka"]
    # Akinyi sits on the credit committee and Baraka is a loans officer; Juma is on the committee too.
    for member, role in (
        (akinyi, roles.CREDIT_COMMITTEE),
        (baraka, roles.LOANS_OFFICERS),
        (juma, roles.CREDIT_COMMITTEE),
    ):
        member.user.groups.add(Group.objects.get(name=role))
        member.user.is_staff = True
        member.user.save()
    application = application_with_guarantors(
        borrower=juma,
        product=products["development"],
        amount="70000",
        guarantors=[(akinyi, "15000", "1"), (baraka, "15000", "2")],
    )
    assert not LoanReview.objects.exists()  # not before the guarantors answer
    for guarantee in application.guarantees.all():
        guarantee_accept(guarantee=guarantee, by_member=guarantee.guarantor)
    assert _step(application) == "Loans officer appraisal"

    with pytest.raises(PermissionDenied):
        loan_review_act(application=application, user=baraka.user, action="approve")  # a guarantor
    loan_review_act(application=application, user=deciders["officer"], action="approve")
    for user in (juma.user, akinyi.user):  # the applicant, a guarantor
        with pytest.raises(PermissionDenied):
            loan_review_act(application=application, user=user, action="approve")
        review = LoanReview.objects.get(application=application)
        assert review.current_workflow_task.get_actions(review, user) == []
    loan_review_act(application=application, user=deciders["joseph"], action="approve")
    loan_review_act(application=application, user=deciders["mercy"], action="approve")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED


def test_review_starts_once_the_cover_is_there_and_stops_on_withdrawal(people, products, deciders):
    juma, akinyi, baraka = people["juma"], people["akinyi"], people["baraka"]
    application = application_with_guarantors(
        borrower=juma,
        product=products["development"],
        amount="70000",
        guarantors=[(akinyi, "15000", "1"), (baraka, "15000", "2")],
    )
    first, second = application.guarantees.order_by("guarantor__user__email")
    guarantee_accept(guarantee=first, by_member=first.guarantor)
    assert not LoanReview.objects.exists()
    guarantee_decline(guarantee=second, by_member=second.guarantor)
    assert not LoanReview.objects.exists()  # answered, but 15,000 does not cover 20,000
    with pytest.raises(LoanStateError):
        loan_review_act(application=application, user=deciders["officer"], action="approve")

    other = application_submit(member=juma, product=products["emergency"], amount="10000", term_months=6, purpose="X")
    loan_review_act(application=other, user=deciders["officer"], action="approve")
    application_withdraw(application=other, by_member=juma)
    state = LoanReview.objects.get(application=other).workflow_states.get()
    assert state.status == WorkflowState.STATUS_CANCELLED
    with pytest.raises(LoanStateError):
        loan_review_act(application=other, user=deciders["joseph"], action="approve")
    assert set(application.guarantees.values_list("status", flat=True)) == {
        GuaranteeStatus.ACCEPTED,
        GuaranteeStatus.DECLINED,
    }


def test_the_api_acts_through_the_workflow(borrower, products, deciders, staff_user):
    application = _submit(borrower, products)
    url = f"/api/loans/applications/{application.pk}/"
    member = APIClient()
    member.force_authenticate(borrower.user)
    assert member.post(url + "approve/").status_code == 403

    api = {name: APIClient() for name in deciders}
    for name, client in api.items():
        client.force_authenticate(deciders[name])
    assert api["joseph"].post(url + "approve/").status_code == 403  # not at the committee yet
    body = api["officer"].post(url + "approve/", {"reason": "Appraised"}, format="json").json()
    assert body == {"status": "submitted", "step": "Credit committee", "approvals": 0, "required": 2, "voters": []}
    assert api["joseph"].post(url + "approve/").json()["voters"] == ["Joseph Ouma"]
    assert api["joseph"].post(url + "approve/").status_code == 403
    missing = api["mercy"].post(url + "reject/", {}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()
    assert api["mercy"].post(url + "approve/").json()["status"] == "approved"
    assert api["tom"].post(url + "approve/").status_code == 409


def test_the_admin_review_page_shows_the_case_and_acts_as_a_vote(client, borrower, products, deciders):
    application = _submit(borrower, products)
    review = LoanReview.objects.get(application=application)
    edit = f"/admin/snippets/loans/loanreview/edit/{review.pk}/"

    sign_in_verified(client, deciders["officer"])
    listing = client.get("/admin/snippets/loans/loanapplication/").content.decode()
    assert edit in listing  # the application links to its approval
    page = client.get(edit)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Eligibility today" in text and "100,000.00" in text and "/decide/approve/" in text
    revisions = Revision.objects.count()
    saved = client.post(edit, {})  # a plain save would reset the approvals: refused
    assert saved.status_code == 302 and Revision.objects.count() == revisions
    client.post(edit, {"action-workflow-action": "true", "workflow-action-name": "approve"})
    assert _step(application) == "Credit committee"

    sign_in_verified(client, deciders["joseph"])
    client.post(edit, {"action-workflow-action": "true", "workflow-action-name": "approve"})
    assert CommitteeVote.objects.filter(user=deciders["joseph"]).count() == 1
    again = client.get(edit).content.decode()
    assert "/decide/approve/" not in again and "1 of 2 approvals" in again
    assert Revision.objects.count() == revisions

    sign_in_verified(client, deciders["mercy"], fresh=False)
    stale = client.post(edit, {"action-workflow-action": "true", "workflow-action-name": "approve"})
    assert stale.status_code == 302 and "verify" in stale["Location"]  # a decision needs a fresh code
    sign_in_verified(client, deciders["mercy"])
    client.post(edit, {"action-workflow-action": "true", "workflow-action-name": "approve"})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED


def test_reviews_are_not_added_deleted_or_published_by_hand(client, borrower, products, deciders, make_user):
    application = _submit(borrower, products)
    review = LoanReview.objects.get(application=application)
    admin = make_user("root@sacco.example", role=roles.ADMINISTRATORS)
    admin.is_superuser = True
    admin.save()
    sign_in_verified(client, admin)
    assert client.get("/admin/snippets/loans/loanreview/add/").status_code in (302, 403)
    assert client.post(f"/admin/snippets/loans/loanreview/delete/{review.pk}/").status_code in (302, 403)
    client.post(f"/admin/snippets/loans/loanreview/edit/{review.pk}/", {"action-publish": "true"})
    assert LoanReview.objects.filter(pk=review.pk).exists()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED and _step(application) == "Loans officer appraisal"
