"""R4 (first part): the audit log API shows Wagtail's action log — who decided which workflow step, when — read
only, to auditors and administrators alone, with filters that name a bad value."""

import pytest
from rest_framework.test import APIClient

from portal.loans.approval import loan_review_act
from portal.members import roles
from tests.integration.test_loans import borrower, products  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def test_auditors_read_who_approved_what(borrower, products, deciders, staff_user):  # noqa: F811
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
