"""The savings REST paths of the seed: /api/contributions/… and /api/members/<pk>/(contributions, share-capital,
share-summary, set-share-capital-term). Members reach only their own; staff by role."""

import datetime
from decimal import Decimal

import pytest
from django.test import TestCase
from rest_framework.test import APIClient

from portal.contributions.models import ContributionReminder, MonthlyContribution
from portal.contributions.services import monthly_contribution_record, share_capital_payment_record
from portal.finance.ledger.models import JournalEntry
from portal.members import roles

pytestmark = pytest.mark.django_db
D = Decimal
PERIOD = (datetime.date.today().replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def clerk_api(api, staff_user):
    api.force_authenticate(staff_user(roles.CLERKS))
    return api


def test_clerk_posts_one_contribution_and_a_retry_posts_nothing(clerk_api, member):
    body = {"member": member.membership_number, "amount": "1500.00", "period": PERIOD, "reference": "MP-QX1"}
    first = clerk_api.post("/api/contributions/monthly/", body, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["results"][0]["period"] == PERIOD
    again = clerk_api.post("/api/contributions/monthly/", body, format="json")
    assert again.status_code == 200 and again.json()["already_posted"] == 1
    assert JournalEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "1000", "period": "2026-13"}, "period"),
        ({"amount": "-5", "period": PERIOD}, "amount"),
        ({"amount": "1000.001", "period": PERIOD}, "amount"),
        ({"amount": "ten", "period": PERIOD}, "amount"),
        ({"amount": "1000", "period": PERIOD, "member": "MB-000000-99999"}, "member"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(clerk_api, member, body, field):
    response = clerk_api.post(
        "/api/contributions/monthly/", {"member": member.membership_number, **body}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    assert MonthlyContribution.objects.count() == 0


def test_bulk_create_is_all_or_nothing(clerk_api, member, other_member):
    items = [
        {"member": str(member.pk), "amount": "1000", "period": PERIOD, "reference": "B1"},
        {"member": other_member.membership_number, "amount": "1000", "period": PERIOD, "reference": "B1"},
    ]
    bad = clerk_api.post("/api/contributions/monthly/bulk-create/", {"items": items}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"] == [
        {"row": 2, "field": "reference", "message": "'B1' is already used by row 1."}
    ]
    items[1]["reference"] = "B2"
    ok = clerk_api.post("/api/contributions/monthly/bulk-create/", {"items": items}, format="json")
    assert ok.status_code == 201 and ok.json()["created"] == 2
    shares = clerk_api.post(
        "/api/contributions/share-capital/bulk-create/",
        {"items": [{"member": member.membership_number, "amount": "2500", "reference": "S1"}]},
        format="json",
    )
    assert shares.status_code == 201


def test_member_sees_only_their_own_savings(api, member, other_member):
    monthly_contribution_record(member=member, amount="1000", period=PERIOD, reference="A")
    monthly_contribution_record(member=other_member, amount="1000", period=PERIOD, reference="B")
    share_capital_payment_record(member=other_member, amount="1000", reference="C")
    api.force_authenticate(member.user)
    own = api.get("/api/contributions/monthly/").json()["results"]
    assert [r["member"] for r in own] == [str(member.pk)]
    assert api.get("/api/contributions/share-capital/").json()["results"] == []
    assert api.get(f"/api/members/{member.pk}/contributions/").status_code == 200
    for path in ("contributions", "share-capital", "share-summary"):
        assert api.get(f"/api/members/{other_member.pk}/{path}/").status_code == 404
    assert api.post(f"/api/members/{other_member.pk}/set-share-capital-term/", {"term_months": 24}).status_code == 404
    assert api.post("/api/contributions/monthly/", {"member": str(member.pk), "amount": "1"}).status_code == 403
    for path in (
        "/api/contributions/monthly/missing-contributions/",
        "/api/contributions/monthly/generate-report/",
        "/api/contributions/share-capital/incomplete-share-capital/",
    ):
        assert api.get(path).status_code == 403


def test_share_summary_and_term(api, member):
    share_capital_payment_record(member=member, amount="10000", reference="S")
    api.force_authenticate(member.user)
    summary = api.get(f"/api/members/{member.pk}/share-summary/").json()
    assert summary["share_capital"] == "10000.00" and summary["share_capital_completion_percent"] == "50.00"
    assert summary["share_of_pool_percent"] == "100.00"
    response = api.post(f"/api/members/{member.pk}/set-share-capital-term/", {"term_months": 24}, format="json")
    assert response.status_code == 200 and response.json()["share_capital_monthly_instalment"] == "833.33"
    bad = api.post(f"/api/members/{member.pk}/set-share-capital-term/", {"term_months": 6}, format="json")
    assert bad.status_code == 400 and "term_months" in bad.json()


def test_missing_reminders_report_incomplete_and_recalculate(api, staff_user, member, other_member):
    monthly_contribution_record(member=member, amount="1000", period=PERIOD, reference="A")
    api.force_authenticate(staff_user(roles.TREASURER))
    missing = api.get(f"/api/contributions/monthly/missing-contributions/?period={PERIOD}").json()
    assert [m["membership_number"] for m in missing["results"]] == [other_member.membership_number]
    assert api.get("/api/contributions/monthly/missing-contributions/?period=2026-13").status_code == 400
    with TestCase.captureOnCommitCallbacks(execute=True):
        sent = api.post("/api/contributions/monthly/send-reminders/", {"period": PERIOD}, format="json").json()
    assert sent["sent"] == 1 and ContributionReminder.objects.count() == 1
    report = api.get(f"/api/contributions/monthly/generate-report/?period={PERIOD}").json()
    assert report["grand_total"] == "1000.00" and report["members_missing"] == 1
    pdf = api.get(f"/api/contributions/monthly/generate-report/?period={PERIOD}&output=pdf")
    assert pdf.content.startswith(b"%PDF")
    assert api.get("/api/contributions/monthly/generate-report/?kind=quarterly&year=2026&quarter=5").status_code == 400
    incomplete = api.get("/api/contributions/share-capital/incomplete-share-capital/").json()
    assert incomplete["count"] == 2
    assert api.post("/api/contributions/recalculate-shares/").json()["members_recalculated"] == 2
