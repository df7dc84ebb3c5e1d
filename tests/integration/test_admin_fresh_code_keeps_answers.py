"""Issue 14, no lost work in the admin: what staff typed before a fresh second-factor code comes back after it (the
treasurer's disburse form, the reviewer's comment on the decision page), to check and send again; nothing is paid
out or decided until then."""

import datetime
import time
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.models import TaskState

from portal.finance.banking.services import bank_account_primary
from portal.loans.approval import loan_review_act
from portal.loans.models import Loan, LoanReview
from portal.loans.services import application_submit
from portal.members import roles
from portal.members.form_stash import STASH_SESSION_KEY
from portal.members.otp import FRESH_SESSION_KEY
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db

KEPT = "Your answers are kept"


def _code(device) -> str:
    device = TOTPDevice.objects.get(pk=device.pk)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _make_stale(client):
    session = client.session
    session[FRESH_SESSION_KEY] = int(time.time()) - 3600
    session.save()


def _through_the_code_page(client, device, response) -> str:
    """The POST was sent to the code page; enter the code there and return where it sends back."""
    assert response.status_code == 302 and response["Location"].startswith(reverse("otp_verify"))
    next_url = parse_qs(urlparse(response["Location"]).query)["next"][0]
    code_page = client.get(response["Location"])
    assert KEPT in code_page.content.decode()  # the code page says the answers wait
    back = client.post(reverse("otp_verify"), {"otp_token": _code(device), "next": next_url})
    assert back.status_code == 302
    return back["Location"]


@pytest.fixture
def application(borrower, products):
    return application_submit(
        member=borrower, product=products["development"], amount="100000", term_months=12, purpose="Dairy"
    )


def test_the_disburse_form_keeps_the_bank_account_and_date(client, application, deciders, staff_user):
    for name in ("officer", "joseph", "mercy"):
        loan_review_act(application=application, user=deciders[name], action="approve")
    treasurer = staff_user(roles.TREASURER)
    device = sign_in_verified(client, treasurer)
    url = f"/admin/loans/applications/{application.pk}/disburse/"
    assert client.get(url).status_code == 200
    _make_stale(client)
    bank = str(bank_account_primary().pk)
    day = datetime.date.today().isoformat()
    back = _through_the_code_page(client, device, client.post(url, {"bank_account": bank, "date": day}))
    assert back == url and not Loan.objects.exists()

    page = client.get(back)
    assert page.status_code == 200
    form = page.context["form"]
    assert form.data.get("bank_account") == bank and form.data.get("date") == day
    html = page.content.decode()
    assert KEPT in html and f'value="{day}"' in html
    assert not Loan.objects.exists()  # nothing paid out until Disburse is pressed again

    again = client.get(url)  # the answers are handed back once
    assert KEPT not in again.content.decode() and not again.context["form"].is_bound

    client.post(url, {"bank_account": bank, "date": day})
    assert Loan.objects.get().disbursed_on.isoformat() == day


def test_the_decision_comment_survives_the_fresh_code(client, application, deciders):
    review = LoanReview.objects.get(application=application)
    device = sign_in_verified(client, deciders["officer"])
    decide = f"/admin/approvals/loans/loanreview/{review.pk}/decide/approve/"
    assert client.get(decide).status_code == 200
    _make_stale(client)
    comment = "Payslips seen; employer confirmed by phone"
    back = _through_the_code_page(
        client, device, client.post(decide, {"comment": comment, "workflow-action-name": "approve"})
    )
    assert back == decide
    state = LoanReview.objects.get(pk=review.pk).current_workflow_task_state
    assert state.task.name == "Loans officer appraisal" and state.status == TaskState.STATUS_IN_PROGRESS

    page = client.get(back)
    assert page.status_code == 200
    html = page.content.decode()
    assert f">{comment}</textarea>" in html and KEPT in html
    assert "error-message" not in html  # restored to check, not judged yet

    client.post(decide, {"comment": comment, "workflow-action-name": "approve"})
    state = LoanReview.objects.get(pk=review.pk).current_workflow_task_state
    assert state.task.name == "Credit committee"


def test_another_pages_decision_post_goes_back_where_it_came_from(client, application, deciders):
    """The edit page's workflow action (not the decision page) keeps nothing and returns to the page it came from."""
    review = LoanReview.objects.get(application=application)
    sign_in_verified(client, deciders["officer"], fresh=False)
    edit = f"/admin/snippets/loans/loanreview/edit/{review.pk}/"
    response = client.post(
        edit,
        {"action-workflow-action": "true", "workflow-action-name": "approve"},
        HTTP_REFERER=f"http://testserver{edit}",
    )
    assert response.status_code == 302
    assert parse_qs(urlparse(response["Location"]).query)["next"][0] == f"http://testserver{edit}"
    assert "form_stash" not in client.session


def test_a_forged_decision_post_keeps_nothing(application, deciders):
    """Review finding: the second-factor middleware kept a decision page's POST before Django's CSRF check, so a
    cross-site POST could plant a comment the approver then found waiting after their code. Now it is refused."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    review = LoanReview.objects.get(application=application)
    sign_in_verified(client, deciders["officer"])
    decide = f"/admin/approvals/loans/loanreview/{review.pk}/decide/approve/"
    _make_stale(client)
    forged = client.post(decide, {"comment": "ATTACKER TEXT", "workflow-action-name": "approve"})
    assert forged.status_code == 403
    assert STASH_SESSION_KEY not in client.session
    assert "ATTACKER TEXT" not in client.get(decide).content.decode()
