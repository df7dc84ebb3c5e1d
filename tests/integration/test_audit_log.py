"""R4: the audit log API shows Wagtail's action log — who decided which workflow step, when — read
only, to auditors and administrators alone, with filters that name a bad value."""

import io

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from portal.loans.approval import loan_review_act
from portal.members import roles

pytestmark = pytest.mark.django_db


def test_auditors_read_who_approved_what(borrower, products, deciders, staff_user):
    from portal.loans.services import application_submit

    application = application_submit(
        member=borrower, product=products["development"], amount="50000", term_months=12, purpose="Dairy"
    )
    loan_review_act(application=application, user=deciders["officer"], action="approve", reason="Fine")
    api = APIClient()
    for user in (borrower.user, staff_user(roles.CLERKS), deciders["officer"]):
        api.force_authenticate(user)
        assert api.get("/api/reports/audit-logs/").status_code == 403
    api.force_authenticate(staff_user(roles.AUDITORS))
    body = api.get("/api/reports/audit-logs/?action=wagtail.workflow.approve").json()
    assert [(e["user"], e["object_type"]) for e in body["results"]] == [(deciders["officer"].email, "loans.loanreview")]
    everything = api.get("/api/reports/audit-logs/?object_type=loans.loanreview").json()["results"]
    assert {e["action"] for e in everything} >= {"wagtail.edit", "wagtail.workflow.start", "wagtail.workflow.approve"}
    assert api.get(f"/api/reports/audit-logs/?user={deciders['joseph'].email}").json()["results"] == []
    bad = api.get("/api/reports/audit-logs/?since=yesterday&object_type=nope.nothing")
    assert bad.status_code == 400 and {"since", "object_type"} <= set(bad.json())
    assert api.post("/api/reports/audit-logs/", {}).status_code == 405  # read only
    assert api.delete("/api/reports/audit-logs/").status_code == 405


# --- R4: staff actions through the services and the admin, with before/after values ---------------------------


def _form_data(form) -> dict:
    """What the browser would post back for an unchanged form."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    return data


def _entries(api, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    response = api.get(f"/api/reports/audit-logs/?{query}")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_service_actions_carry_who_and_before_after(member, staff_user):
    import datetime

    from portal.contributions.services import (
        contribution_schedule_set,
        monthly_contribution_record,
        payment_reverse,
    )
    from portal.members.profile import member_bank_details_update
    from portal.members.services import member_status_set

    clerk, treasurer = staff_user(roles.CLERKS), staff_user(roles.TREASURER)
    member_status_set(member=member, status="on_hold", reason="Arrears review", by=clerk)
    contribution_schedule_set(member=member, monthly_amount="3500", updated_by=clerk)
    member_bank_details_update(member=member, changes={"bank_account_number": "0123456789"}, by=member.user)
    payment = monthly_contribution_record(
        member=member,
        amount="3500",
        period="2026-01",
        reference="MPESA-QX1",
        recorded_by=clerk,
        date=datetime.date(2026, 1, 20),
    ).record
    payment_reverse(payment=payment, reason="Posted to the wrong member", reversed_by=treasurer)

    api = APIClient()
    api.force_authenticate(staff_user(roles.AUDITORS))
    [status] = _entries(api, action="sacco.status", object_id=member.pk)
    assert status["user"] == clerk.email
    assert status["data"]["changes"] == {"status": {"before": "active", "after": "on_hold"}}
    assert status["message"] == "Reason: Arrears review — status: active → on_hold"
    [schedule] = _entries(api, action="sacco.edit", object_type="contributions.membercontributionschedule")
    assert schedule["data"]["changes"] == {"monthly_amount": {"before": None, "after": "3500.00"}}
    [bank] = _entries(api, action="sacco.edit", object_id=member.pk)
    assert bank["user"] == member.user.email
    assert bank["data"]["changes"]["bank_account_number"] == {"before": "", "after": "••••6789"}  # masked
    [posted] = _entries(api, action="sacco.post", search="MPESA-QX1")
    assert posted["user"] == clerk.email and "KES 3,500.00" in posted["message"]
    [reversed_] = _entries(api, action="sacco.reverse")
    assert reversed_["user"] == treasurer.email and "Posted to the wrong member" in reversed_["message"]
    assert _entries(api, search="nothing-like-this") == []


def test_admin_edits_of_snippets_and_settings_record_before_and_after(client, staff_user):
    from portal.loans.demo import loans_seed
    from portal.loans.models import LoanProduct
    from portal.society.models import SaccoSettings
    from tests.conftest import sign_in_verified

    loans_seed()
    product = LoanProduct.objects.get(slug="emergency")
    treasurer = staff_user(roles.TREASURER)
    sign_in_verified(client, treasurer)
    url = f"/admin/snippets/loans/loanproduct/edit/{product.pk}/"
    data = _form_data(client.get(url).context["form"])
    data["annual_rate"] = "15.5"
    assert client.post(url, data).status_code == 302
    settings_url = f"/admin/settings/society/saccosettings/{SaccoSettings.load().pk}/"
    form = client.get(settings_url).context["form"]
    data = _form_data(form)
    data["minimum_monthly_contribution"] = "2500.00"
    response = client.post(settings_url, data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response

    api = APIClient()
    api.force_authenticate(staff_user(roles.AUDITORS))
    [rate] = _entries(api, action="sacco.edit", object_type="loans.loanproduct")
    assert rate["user"] == treasurer.email
    assert rate["data"]["changes"] == {"annual_rate": {"before": "12.0000", "after": "15.5000"}}
    [setting] = _entries(api, action="sacco.edit", object_type="society.saccosettings")
    assert list(setting["data"]["changes"]) == ["minimum_monthly_contribution"]
    assert setting["data"]["changes"]["minimum_monthly_contribution"]["after"] == "2500.00"

    # The admin's Audit trail shows the same in words, filtered, and exports it; clerks do not see it.
    sign_in_verified(client, staff_user(roles.CLERKS))
    assert client.get("/admin/audit/").status_code in (302, 403)  # Wagtail redirects a refusal home
    sign_in_verified(client, staff_user(roles.ADMINISTRATORS))
    page = client.get("/admin/audit/?action=sacco.edit&object_type=loans.loanproduct").content.decode()
    assert "annual_rate: 12.0000 → 15.5000" in page and "minimum_monthly_contribution" not in page
    export = client.get("/admin/audit/?action=sacco.edit&export=csv")
    lines = export.content.decode().splitlines()
    assert export.status_code == 200 and lines[0].startswith("Audit trail")
    assert any("annual_rate: 12.0000 → 15.5000" in line and treasurer.email in line for line in lines)
    workbook = load_workbook(
        io.BytesIO(client.get("/admin/audit/?export=xlsx").content)
    )  # every action, lazy labels too
    assert workbook.active.max_row > 3
    bad = client.get("/admin/audit/?since=last-week").content.decode()
    assert "since: &#x27;last-week&#x27; is not a date" in bad


def test_every_committee_vote_is_in_the_trail_not_only_the_last(staff_user, make_user):
    import datetime

    from portal.reports.services import financial_statement_approve, financial_statement_prepare

    pack = financial_statement_prepare(
        start=datetime.date(2026, 1, 1), end=datetime.date(2026, 1, 31), by=staff_user(roles.TREASURER)
    )
    first = staff_user(roles.CREDIT_COMMITTEE)
    financial_statement_approve(statement=pack, user=first)
    api = APIClient()
    api.force_authenticate(staff_user(roles.AUDITORS))
    [vote] = _entries(api, action="sacco.vote", object_id=pack.pk)
    assert vote["user"] == first.email and vote["message"] == "Statement approval: approved (1 of 2)"
    assert _entries(api, action="wagtail.workflow.approve", object_id=pack.pk) == []  # the step is not done yet


def test_a_role_given_in_the_admin_users_page_is_in_the_trail(client, staff_user):
    from django.contrib.auth.models import Group

    from tests.conftest import sign_in_verified

    clerk = staff_user(roles.CLERKS)
    admin = staff_user(roles.ADMINISTRATORS)
    sign_in_verified(client, admin)
    url = f"/admin/users/edit/{clerk.pk}/"
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    data = _form_data(page.context["form"])
    data["groups"] = [str(g.pk) for g in Group.objects.filter(name__in=[roles.CLERKS, roles.TREASURER])]
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    api = APIClient()
    api.force_authenticate(staff_user(roles.AUDITORS))
    [entry] = _entries(api, action="sacco.edit", object_id=clerk.pk)
    assert entry["user"] == admin.email
    assert entry["data"]["changes"] == {"groups": {"before": "Clerks", "after": "Clerks, Treasurer"}}


def test_entries_cannot_be_changed(member, staff_user):
    from django.db import DatabaseError, transaction
    from wagtail.models import ModelLogEntry

    from portal.members.services import member_status_set

    member_status_set(member=member, status="on_hold", reason="Arrears", by=staff_user(roles.CLERKS))
    entry = ModelLogEntry.objects.get(action="sacco.status")
    for change in ({"label": "nothing happened"}, {"user": None}, {"data": {}}):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            ModelLogEntry.objects.filter(pk=entry.pk).update(**change)
    entry.refresh_from_db()
    assert entry.data["changes"]["status"]["after"] == "on_hold"


@pytest.mark.postgres
def test_entries_cannot_be_deleted_on_postgres(member, staff_user):
    from django.db import DatabaseError, transaction
    from wagtail.models import ModelLogEntry

    from portal.members.services import member_status_set

    member_status_set(member=member, status="on_hold", reason="Arrears", by=staff_user(roles.CLERKS))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ModelLogEntry.objects.filter(action="sacco.status").delete()
    assert ModelLogEntry.objects.filter(action="sacco.status").count() == 1
