"""Issue 12, the money API's contract: each answer is what the OpenAPI schema says it is (checked against the
generated schema with jsonschema), the request bodies are documented, disburse honours `date`, add-repayment never
answers 500 for a payment that was recorded, and a guarantor answers through the API behind a fresh second factor."""

import copy
import datetime
from decimal import Decimal

import jsonschema
import pytest
from django.db import OperationalError
from django.utils import timezone
from rest_framework.test import APIClient

from portal.loans.models import Guarantee, GuaranteeStatus, Loan, LoanApplication
from portal.loans.services import application_approve, application_submit, loan_disburse
from portal.members import roles
from tests.conftest import sign_in_verified
from tests.factories import application_with_guarantors, member_with_savings

pytestmark = pytest.mark.django_db
PERIOD = (datetime.date.today().replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")


# --- the schema, as JSON Schema -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _json_schema(node):
    """OpenAPI 3.0's `nullable` as JSON Schema's null type."""
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _json_schema(v) for k, v in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


def _response_schema(schema, path, method, code, content_type="application/json"):
    operation = schema["paths"][path][method]
    body = operation["responses"][str(code)]["content"][content_type]["schema"]
    return {**_json_schema(body), "components": _json_schema(copy.deepcopy(schema["components"]))}


def assert_matches(schema, path, method, response):
    jsonschema.validate(response.json(), _response_schema(schema, path, method, response.status_code))


def _request_properties(schema, path, method):
    body = schema["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    name = body["$ref"].rsplit("/", 1)[-1]
    return schema["components"]["schemas"][name]


# --- people and money ---------------------------------------------------------------------------------------------


def _saver(make_member, email, deposits):
    return member_with_savings(make_member, email=email, deposits=deposits)


@pytest.fixture
def borrower(make_member):
    return _saver(make_member, "juma@example.com", "120000")


@pytest.fixture
def treasurer(staff_user):
    api = APIClient()
    api.force_authenticate(staff_user(roles.TREASURER))
    return api


def _approved(borrower, products, staff_user, amount="100000"):
    application = application_submit(
        member=borrower, product=products["development"], amount=amount, term_months=12, purpose="Build"
    )
    return application_approve(application=application, by=staff_user(roles.LOANS_OFFICERS))


# --- the envelope of a posted payment --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/contributions/monthly/", {"amount": "1500", "period": PERIOD, "reference": "C1"}),
        ("/api/contributions/share-capital/", {"amount": "1500", "reference": "S1"}),
        (
            "/api/contributions/monthly/bulk-create/",
            {"items": [{"amount": "1500", "period": PERIOD, "reference": "C2"}]},
        ),
        ("/api/contributions/share-capital/bulk-create/", {"items": [{"amount": "1500", "reference": "S2"}]}),
    ],
)
def test_a_posted_payment_answers_the_envelope_the_schema_describes(schema, treasurer, borrower, path, body):
    def with_member(b):
        if "items" in b:
            return {"items": [{**i, "member": borrower.membership_number} for i in b["items"]]}
        return {**b, "member": borrower.membership_number}

    first = treasurer.post(path, with_member(body), format="json")
    assert first.status_code == 201, first.content
    assert_matches(schema, path, "post", first)
    assert first.json()["created"] == 1 and first.json()["results"][0]["amount"] == "1500.00"
    again = treasurer.post(path, with_member(body), format="json")
    assert again.status_code == 200 and again.json()["already_posted"] == 1
    assert_matches(schema, path, "post", again)


def test_share_summary_and_incomplete_share_capital_answer_their_schema(schema, treasurer, borrower, make_member):
    summary = treasurer.get(f"/api/members/{borrower.pk}/share-summary/")
    assert summary.status_code == 200
    assert_matches(schema, "/api/members/{id}/share-summary/", "get", summary)
    make_member("new@example.com")  # no share capital yet
    incomplete = treasurer.get("/api/contributions/share-capital/incomplete-share-capital/")
    assert incomplete.status_code == 200 and incomplete.json()["count"] >= 1
    assert_matches(schema, "/api/contributions/share-capital/incomplete-share-capital/", "get", incomplete)
    term = APIClient()
    term.force_authenticate(borrower.user)
    changed = term.post(f"/api/members/{borrower.pk}/set-share-capital-term/", {"term_months": 24}, format="json")
    assert changed.status_code == 200
    assert_matches(schema, "/api/members/{id}/set-share-capital-term/", "post", changed)
    bad = term.post(f"/api/members/{borrower.pk}/set-share-capital-term/", ["x"], format="json")
    assert bad.status_code == 400


def test_send_reminders_documents_and_validates_its_body(schema, staff_user, borrower):
    props = _request_properties(schema, "/api/contributions/monthly/send-reminders/", "post")["properties"]
    assert set(props) == {"period"}
    api = APIClient()
    api.force_authenticate(staff_user(roles.TREASURER))
    sent = api.post("/api/contributions/monthly/send-reminders/", {"period": PERIOD}, format="json")
    assert sent.status_code == 200 and sent.json()["period"] == PERIOD
    assert_matches(schema, "/api/contributions/monthly/send-reminders/", "post", sent)
    bad = api.post("/api/contributions/monthly/send-reminders/", {"period": "2026-13"}, format="json")
    assert bad.status_code == 400 and "period" in bad.json()
    not_an_object = api.post("/api/contributions/monthly/send-reminders/", ["x"], format="json")
    assert not_an_object.status_code == 400


# --- loans ----------------------------------------------------------------------------------------------------


def test_the_repayment_schedule_is_the_object_the_schema_says(schema, treasurer, borrower, products, staff_user):
    application = _approved(borrower, products, staff_user)
    loan = loan_disburse(application=application, by=staff_user(roles.CLERKS), date=timezone.localdate()).loan
    response = treasurer.get(f"/api/loans/loans/{loan.pk}/repayment-schedule/")
    assert response.status_code == 200 and len(response.json()["instalments"]) == 12
    assert_matches(schema, "/api/loans/loans/{id}/repayment-schedule/", "get", response)


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/api/loans/applications/{id}/approve/", {"reason"}),
        ("/api/loans/applications/{id}/reject/", {"reason"}),
        ("/api/loans/loans/{id}/disburse/", {"date", "bank_account"}),
        ("/api/loans/guarantees/{id}/accept/", {"code"}),
        ("/api/loans/guarantees/{id}/decline/", {"code"}),
    ],
)
def test_request_bodies_are_documented(schema, path, fields):
    assert set(_request_properties(schema, path, "post")["properties"]) == fields


def test_reject_documents_its_reason_as_required(schema):
    assert _request_properties(schema, "/api/loans/applications/{id}/reject/", "post")["required"] == ["reason"]


def test_disburse_honours_the_date(schema, treasurer, borrower, products, staff_user):
    application = _approved(borrower, products, staff_user)
    approved_on = timezone.localdate() - datetime.timedelta(days=10)
    LoanApplication.objects.filter(pk=application.pk).update(decided_at=timezone.now() - datetime.timedelta(days=10))
    url = f"/api/loans/loans/{application.pk}/disburse/"
    future = treasurer.post(url, {"date": (timezone.localdate() + datetime.timedelta(days=1)).isoformat()})
    assert future.status_code == 400 and "date" in future.json()
    early = treasurer.post(url, {"date": (approved_on - datetime.timedelta(days=1)).isoformat()}, format="json")
    assert early.status_code == 400 and "date" in early.json()
    assert treasurer.post(url, {"date": "31-01-2026"}, format="json").status_code == 400
    assert Loan.objects.count() == 0
    day = approved_on + datetime.timedelta(days=2)
    paid = treasurer.post(url, {"date": day.isoformat()}, format="json")
    assert paid.status_code == 201, paid.content
    assert_matches(schema, "/api/loans/loans/{id}/disburse/", "post", paid)
    loan = Loan.objects.get()
    assert loan.disbursed_on == day and paid.json()["disbursed_on"] == day.isoformat()
    first_due = loan.instalments.order_by("number").first().due_date
    assert 28 <= (first_due - day).days <= 31  # the schedule runs from the day given, a month to the first due
    again = treasurer.post(url, {"date": timezone.localdate().isoformat()}, format="json")
    assert again.status_code == 200 and again.json()["id"] == str(loan.pk)  # the same loan, its own date


def test_add_repayment_answers_its_schema(schema, treasurer, borrower, products, staff_user):
    application = _approved(borrower, products, staff_user)
    loan = loan_disburse(application=application, by=staff_user(roles.CLERKS), date=timezone.localdate()).loan
    url = f"/api/loans/loans/{loan.pk}/add-repayment/"
    paid = treasurer.post(url, {"amount": "5000", "reference": "R1"}, format="json")
    assert paid.status_code == 201 and paid.json()["loan_status"] == "active"
    assert_matches(schema, "/api/loans/loans/{id}/add-repayment/", "post", paid)


def test_a_repayment_that_committed_is_never_a_500(monkeypatch, treasurer, borrower, products, staff_user):
    """The connection drops after the service committed: the view finds the payment and answers it."""
    from portal.api import loans_views
    from portal.loans.services import loan_repay

    application = _approved(borrower, products, staff_user)
    loan = loan_disburse(application=application, by=staff_user(roles.CLERKS), date=timezone.localdate()).loan

    def committed_then_lost(**kwargs):
        loan_repay(**kwargs)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(loans_views, "loan_repay", committed_then_lost)
    url = f"/api/loans/loans/{loan.pk}/add-repayment/"
    response = treasurer.post(url, {"amount": "5000", "reference": "R-LOST"}, format="json")
    assert response.status_code == 201 and response.json()["amount"] == "5000.00"
    assert loan.repayments.get().reference == "R-LOST"


def test_a_repayment_that_did_not_commit_is_not_answered_as_recorded(
    monkeypatch, treasurer, borrower, products, staff_user
):
    from portal.api import loans_views

    application = _approved(borrower, products, staff_user)
    clerk = staff_user(roles.CLERKS)
    loan = loan_disburse(application=application, by=clerk, date=timezone.localdate()).loan

    def lost_before_commit(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(loans_views, "loan_repay", lost_before_commit)
    api = APIClient(raise_request_exception=False)
    api.force_authenticate(clerk)
    response = api.post(f"/api/loans/loans/{loan.pk}/add-repayment/", {"amount": "5000", "reference": "R-X"})
    assert response.status_code >= 500  # an error (a 503 to retry), never "recorded"
    assert loan.repayments.count() == 0


def test_when_the_loan_cannot_be_read_back_the_payment_is_still_answered(
    monkeypatch, treasurer, borrower, products, staff_user
):
    from portal.api import loans_views
    from portal.loans.services import loan_repay

    application = _approved(borrower, products, staff_user)
    loan = loan_disburse(application=application, by=staff_user(roles.CLERKS), date=timezone.localdate()).loan

    class Broken:
        def values_list(self, *args, **kwargs):
            raise OperationalError("server closed the connection unexpectedly")

    def repay_then_break(**kwargs):
        result = loan_repay(**kwargs)
        monkeypatch.setattr(loans_views.Loan, "objects", Broken())
        return result

    monkeypatch.setattr(loans_views, "loan_repay", repay_then_break)
    url = f"/api/loans/loans/{loan.pk}/add-repayment/"
    response = treasurer.post(url, {"amount": "5000", "reference": "R-READ"}, format="json")
    assert response.status_code == 201
    assert response.json()["loan_status"] is None and response.json()["id"]


# --- a guarantor answers through the API ----------------------------------------------------------------------


@pytest.fixture
def guaranteed(make_member, products):
    juma = _saver(make_member, "juma@example.com", "50000")
    akinyi = _saver(make_member, "akinyi@example.com", "60000")
    baraka = _saver(make_member, "baraka@example.com", "40000")
    application = application_with_guarantors(
        borrower=juma,
        product=products["development"],
        amount="120000",
        guarantors=[(akinyi, "40000", "akinyi"), (baraka, "30000", "baraka")],
    )
    return {"juma": juma, "akinyi": akinyi, "baraka": baraka, "application": application}


def _totp_code(user):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="Phone", confirmed=True
    )
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_a_guarantor_lists_and_accepts_with_a_code(schema, guaranteed):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    akinyi = guaranteed["akinyi"]
    api = _api(akinyi.user)
    listed = api.get("/api/loans/guarantees/")
    assert listed.status_code == 200 and listed.json()["count"] == 1
    assert_matches(schema, "/api/loans/guarantees/", "get", listed)
    guarantee = listed.json()["results"][0]
    assert guarantee["status"] == "requested" and guarantee["amount"] == "40000.00"
    url = f"/api/loans/guarantees/{guarantee['id']}/accept/"

    missing = api.post(url, {}, format="json")
    assert missing.status_code == 403 and "code" in missing.json()
    wrong = api.post(url, {"code": "000000" if _totp_code(akinyi.user) != "000000" else "111111"}, format="json")
    assert wrong.status_code == 403 and "code" in wrong.json()
    assert Guarantee.objects.get(pk=guarantee["id"]).status == GuaranteeStatus.REQUESTED

    TOTPDevice.objects.get(user=akinyi.user).throttle_reset()  # django-otp slows a device after a wrong code
    accepted = api.post(url, {"code": _totp_code(akinyi.user)}, format="json")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted"
    assert_matches(schema, "/api/loans/guarantees/{id}/accept/", "post", accepted)
    assert Guarantee.objects.get(pk=guarantee["id"]).status == GuaranteeStatus.ACCEPTED
    again = api.post(url, {"code": _totp_code(akinyi.user)}, format="json")
    assert again.status_code in (403, 409)  # a TOTP code is used once; with a new one the answer is 409


def test_a_guarantor_declines_with_a_code_and_nobody_else_answers(guaranteed):
    baraka_guarantee = guaranteed["application"].guarantees.get(guarantor=guaranteed["baraka"])
    url = f"/api/loans/guarantees/{baraka_guarantee.pk}/decline/"
    for other in (guaranteed["akinyi"], guaranteed["juma"]):
        assert _api(other.user).post(url, {"code": _totp_code(other.user)}, format="json").status_code == 404
    declined = _api(guaranteed["baraka"].user).post(url, {"code": _totp_code(guaranteed["baraka"].user)}, format="json")
    assert declined.status_code == 200 and declined.json()["status"] == "declined"


def test_a_fresh_browser_session_needs_no_code_and_a_stale_one_does(client, guaranteed):
    guarantee = guaranteed["application"].guarantees.get(guarantor=guaranteed["akinyi"])
    url = f"/api/loans/guarantees/{guarantee.pk}/accept/"
    sign_in_verified(client, guaranteed["akinyi"].user, fresh=False)
    stale = client.post(url, {}, content_type="application/json")
    assert stale.status_code == 403
    sign_in_verified(client, guaranteed["akinyi"].user)
    fresh = client.post(url, {}, content_type="application/json")
    assert fresh.status_code == 200 and fresh.json()["status"] == "accepted"


def test_guarantee_list_refuses_an_unknown_status(guaranteed):
    response = _api(guaranteed["akinyi"].user).get("/api/loans/guarantees/?status=nope")
    assert response.status_code == 400 and "status" in response.json()


def test_amounts_in_the_schema_carry_the_money_pattern(schema):
    body = schema["components"]["schemas"]["PaymentInRequest"]["properties"]["amount"]
    assert body["type"] == "string" and body["maxLength"] == 40
    out = schema["components"]["schemas"]["Contribution"]["properties"]["amount"]
    assert out["pattern"] == r"^-?[0-9]+\.[0-9]{2}$"
    assert Decimal("1500.00")  # the answers are strings with two decimals


def test_the_admin_disburse_form_refuses_a_day_before_the_approval(client, borrower, products, staff_user):
    from portal.finance.banking.services import bank_account_primary

    application = _approved(borrower, products, staff_user)
    sign_in_verified(client, staff_user(roles.TREASURER))
    url = f"/admin/loans/applications/{application.pk}/disburse/"
    body = {"bank_account": bank_account_primary().pk}
    early = client.post(url, {**body, "date": (timezone.localdate() - datetime.timedelta(days=1)).isoformat()})
    assert early.status_code == 200 and "date" in early.context["form"].errors
    assert Loan.objects.count() == 0
    assert client.post(url, {**body, "date": timezone.localdate().isoformat()}).status_code == 302
    assert Loan.objects.get().disbursed_on == timezone.localdate()


def test_a_guarantor_with_only_an_emailed_code_gets_one_and_uses_it(guaranteed, mailoutbox):
    import re

    from django_otp.plugins.otp_email.models import EmailDevice

    baraka = guaranteed["baraka"]
    EmailDevice.objects.create(user=baraka.user, name="Email", confirmed=True, email=baraka.user.email)
    guarantee = guaranteed["application"].guarantees.get(guarantor=baraka)
    url = f"/api/loans/guarantees/{guarantee.pk}/accept/"
    api = _api(baraka.user)
    asked = api.post(url, {}, format="json")
    assert asked.status_code == 403 and "emailed" in asked.json()["detail"]
    code = re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)
    accepted = api.post(url, {"code": code}, format="json")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"


def test_mail_down_while_sending_the_code_is_a_503(guaranteed, monkeypatch):
    import smtplib

    from django_otp.plugins.otp_email.models import EmailDevice

    baraka = guaranteed["baraka"]
    EmailDevice.objects.create(user=baraka.user, name="Email", confirmed=True, email=baraka.user.email)

    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("down")

    monkeypatch.setattr(EmailDevice, "generate_challenge", refuse)
    guarantee = guaranteed["application"].guarantees.get(guarantor=baraka)
    response = _api(baraka.user).post(f"/api/loans/guarantees/{guarantee.pk}/accept/", {}, format="json")
    assert response.status_code == 503 and response.json()["detail"]
    assert Guarantee.objects.get(pk=guarantee.pk).status == GuaranteeStatus.REQUESTED
