"""The member dashboard answers "what do I owe, and when is my next payment?" (issue 14): each active loan's
outstanding balance (= the ledger's loan book for that loan) and next instalment, arrears with their days, the
guarantees the member gives and what they hold, applications in progress and what they wait for, unread messages.
GET /api/members/dashboard/ returns the same figures as decimal strings; nobody sees another member's loans."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.template import Context, Template
from django.utils import timezone
from rest_framework.test import APIClient

from portal.finance.ledger.models import JournalLine
from portal.loans.member_position import member_loan_position
from portal.loans.models import Guarantee, GuaranteeStatus, LoanInstalment
from portal.loans.services import (
    GuarantorRequest,
    application_approve,
    application_submit,
    guarantee_accept,
    loan_disburse,
    loan_repay,
)
from portal.members import roles
from portal.notifications.models import Notification
from portal.notifications.selectors import unread_notifications_count
from portal.society.money import format_money
from tests.conftest import sign_in_verified
from tests.factories import member_with_savings

pytestmark = pytest.mark.django_db
D = Decimal
ZERO = D("0.00")


def _loan_book(loan) -> Decimal:
    """The ledger's loan-book balance (1100, debit-normal) for one loan."""
    totals = JournalLine.objects.filter(account__code="1100", loan=loan).aggregate(d=Sum("debit"), c=Sum("credit"))
    return D(str(totals["d"] or 0)).quantize(D("0.01")) - D(str(totals["c"] or 0)).quantize(D("0.01"))


@pytest.fixture
def staff(staff_user):
    return {"officer": staff_user(roles.LOANS_OFFICERS), "treasurer": staff_user(roles.TREASURER)}


@pytest.fixture
def saver(make_member):
    """Wanjiru: KES 300,000 deposits, so she can borrow twice and guarantee three loans."""
    return member_with_savings(make_member, email="wanjiru@example.com", first_name="Wanjiru", deposits="300000")


@pytest.fixture
def book(saver, people, products, staff):
    """Wanjiru with 2 active loans (one in arrears), 3 guarantees given (a paid-out loan, one in review, one she has
    not answered) and 1 application waiting for its guarantor. Dates are relative to today: the page reads today."""
    today = timezone.localdate()
    officer, treasurer = staff["officer"], staff["treasurer"]
    juma, akinyi, baraka = people["juma"], people["akinyi"], people["baraka"]

    def ask(borrower, amount, guarantor, guaranteed, slug="school-fees"):
        return application_submit(
            member=borrower,
            product=products[slug],
            amount=amount,
            term_months=6,
            purpose="Fees",
            guarantors=[GuarantorRequest(guarantor, guaranteed, "")],
        )

    # The guarantees she gives, while her deposits are free.
    juma_app = ask(juma, "20000", saver, "10000")
    akinyi_app = ask(akinyi, "30000", saver, "15000")
    baraka_app = ask(baraka, "25000", saver, "20000")
    for application in (juma_app, akinyi_app):
        guarantee_accept(guarantee=application.guarantees.get(guarantor=saver), by_member=saver)
    application_approve(application=juma_app, by=officer)
    juma_loan = loan_disburse(application=juma_app, by=treasurer, date=today - datetime.timedelta(days=40)).loan

    # Her own: two loans and an application, submitted before the loans fall into arrears (eligibility would refuse).
    first = application_submit(
        member=saver, product=products["development"], amount="100000", term_months=12, purpose="Build"
    )
    second = application_submit(
        member=saver, product=products["emergency"], amount="30000", term_months=6, purpose="Clinic"
    )
    waiting = ask(saver, "15000", juma, "5000")
    for application in (first, second):
        application_approve(application=application, by=officer)
    old = loan_disburse(application=first, by=treasurer, date=today - datetime.timedelta(days=100)).loan
    new = loan_disburse(application=second, by=treasurer, date=today - datetime.timedelta(days=10)).loan
    rows = list(old.instalments.all())
    # The first instalment in full and part of the second: the rest of the second and the third are overdue.
    paid = rows[0].amount + D("1000.00")
    loan_repay(loan=old, amount=paid, reference="R-OLD-1", date=today - datetime.timedelta(days=60))
    return {
        "today": today,
        "old": old,
        "new": new,
        "waiting": waiting,
        "juma_loan": juma_loan,
        "akinyi_app": akinyi_app,
        "baraka_app": baraka_app,
    }


def _expected(loan, today):
    rows = list(LoanInstalment.objects.filter(loan=loan).order_by("number"))
    overdue = [r for r in rows if r.due_date < today and r.outstanding > 0]
    upcoming = next(r for r in rows if r.due_date >= today and r.outstanding > 0)
    return {
        "outstanding": sum((r.principal - r.principal_paid for r in rows), ZERO),
        "still_to_pay": sum((r.outstanding for r in rows), ZERO),
        "overdue": sum((r.outstanding for r in overdue), ZERO),
        "days": (today - overdue[0].due_date).days if overdue else 0,
        "next": upcoming,
    }


def test_the_position_matches_the_schedule_and_the_ledger_to_the_cent(saver, book):
    today, old, new = book["today"], book["old"], book["new"]
    position = member_loan_position(member=saver, today=today)
    assert [p.id for p in position.loans] == [old.pk, new.pk]  # oldest paid out first
    for loan, shown in zip((old, new), position.loans, strict=True):
        expected = _expected(loan, today)
        assert shown.outstanding_principal == expected["outstanding"] == _loan_book(loan)
        assert shown.still_to_pay == expected["still_to_pay"]
        assert shown.next_instalment.due_date == expected["next"].due_date
        assert shown.next_instalment.amount == expected["next"].outstanding
    old_position, new_position = position.loans
    # The old loan: instalment 1 paid, 1,000 of instalment 2; instalments 2 and 3 are overdue.
    rows = list(old.instalments.all())
    assert old_position.arrears.amount == rows[1].amount - D("1000.00") + rows[2].amount
    assert old_position.arrears.since == rows[1].due_date
    assert old_position.arrears.days == (today - rows[1].due_date).days > 30
    assert old_position.arrears.instalments == 2
    assert old_position.next_instalment.number == 4
    assert new_position.arrears is None and new_position.next_instalment.number == 1
    assert position.outstanding_principal == _loan_book(old) + _loan_book(new)
    assert position.arrears == old_position.arrears.amount
    assert position.next_payment == min(
        (old_position.next_instalment, new_position.next_instalment), key=lambda i: i.due_date
    )


def test_guarantees_hold_their_full_amount_until_released(saver, book, people):
    position = member_loan_position(member=saver, today=book["today"])
    by_borrower = {g.borrower_number: g for g in position.guarantees}
    juma, akinyi, baraka = (people[name].membership_number for name in ("juma", "akinyi", "baraka"))
    assert set(by_borrower) == {juma, akinyi, baraka}
    assert [by_borrower[n].held for n in (juma, akinyi, baraka)] == [D("10000.00"), D("15000.00"), D("20000.00")]
    assert position.guaranteed_held == D("45000.00")
    assert by_borrower[baraka].status == GuaranteeStatus.REQUESTED and by_borrower[baraka].loan_outstanding is None
    assert by_borrower[akinyi].status == GuaranteeStatus.ACCEPTED and by_borrower[akinyi].loan_outstanding is None
    # Juma repays part of his loan: the guarantee still holds all of it (docs/loans.md), his balance falls.
    juma_loan = book["juma_loan"]
    loan_repay(loan=juma_loan, amount="5000", reference="R-JUMA")
    after = {g.borrower_number: g for g in member_loan_position(member=saver, today=book["today"]).guarantees}
    assert after[juma].held == D("10000.00")
    assert after[juma].loan_outstanding == _loan_book(juma_loan) < D("20000.00")
    # Released guarantees (the application withdrawn or rejected, the loan closed) hold nothing and are not listed.
    Guarantee.objects.filter(application=book["baraka_app"]).update(status=GuaranteeStatus.RELEASED)
    assert member_loan_position(member=saver, today=book["today"]).guaranteed_held == D("25000.00")


def test_applications_say_what_they_wait_for(saver, book, people):
    position = member_loan_position(member=saver, today=book["today"])
    assert [a.id for a in position.applications] == [book["waiting"].pk]
    waiting = position.applications[0]
    assert waiting.stage == "guarantors"
    assert waiting.waiting_for == f"Waiting for 1 guarantor to answer: {people['juma'].full_name}."
    # Juma accepts: the application enters the approval workflow's first step.
    guarantee_accept(guarantee=book["waiting"].guarantees.get(), by_member=people["juma"])
    waiting = member_loan_position(member=saver, today=book["today"]).applications[0]
    assert waiting.stage == "review" and waiting.waiting_for == "Waiting for review: Loans officer appraisal."


def test_approved_applications_wait_for_the_payout(saver, products, staff):
    application = application_submit(
        member=saver, product=products["emergency"], amount="20000", term_months=6, purpose="Roof"
    )
    application_approve(application=application, by=staff["officer"])
    (shown,) = member_loan_position(member=saver, today=timezone.localdate()).applications
    assert shown.stage == "disbursement" and shown.status == "approved"


def test_the_page_and_the_api_show_the_same_figures(client, saver, book):
    Notification.objects.create(user=saver.user, subject="Read", body="x", read_at=timezone.now())
    unread = unread_notifications_count(user=saver.user)
    assert unread >= 1  # the guarantee requests and decisions told her
    sign_in_verified(client, saver.user)
    html = client.get("/portal/").content.decode()
    api = APIClient()
    api.force_authenticate(saver.user)
    data = api.get("/api/members/dashboard/").json()
    position = member_loan_position(member=saver, today=book["today"])

    def shown(amount: str) -> str:
        """An API decimal string as the page shows it."""
        assert re.fullmatch(r"\d+\.\d\d", amount), amount
        return format_money(D(amount))

    assert data["loans_outstanding"] == f"{position.outstanding_principal:.2f}"
    assert shown(data["loans_outstanding"]) in html
    assert data["arrears"] == f"{position.arrears:.2f}" and shown(data["arrears"]) in html
    assert data["next_payment"]["amount"] == f"{position.next_payment.amount:.2f}"
    assert shown(data["next_payment"]["amount"]) in html
    assert data["next_payment"]["due_date"] == position.next_payment.due_date.isoformat()
    assert position.next_payment.due_date.strftime("%-d %b %Y") in html
    for loan, expected in zip(data["loans"], position.loans, strict=True):
        assert loan["id"] == str(expected.id)
        assert loan["outstanding_principal"] == f"{expected.outstanding_principal:.2f}"
        assert shown(loan["outstanding_principal"]) in html and shown(loan["still_to_pay"]) in html
        assert loan["next_instalment"]["amount"] == f"{expected.next_instalment.amount:.2f}"
        assert shown(loan["next_instalment"]["amount"]) in html
    old = data["loans"][0]
    assert old["arrears"]["days"] == position.loans[0].arrears.days
    assert shown(old["arrears"]["amount"]) in html and f"{old['arrears']['days']} days overdue" in html
    assert data["loans"][1]["arrears"] is None
    assert data["guarantees_held"] == "45000.00" and "KES 45,000.00" in html
    assert sorted(g["held"] for g in data["guarantees"]) == ["10000.00", "15000.00", "20000.00"]
    for guarantee in data["guarantees"]:
        assert shown(guarantee["amount"]) in html
    (application,) = data["applications"]
    assert application["stage"] == "guarantors" and application["waiting_for"] in html
    assert data["unread_messages"] == unread and data["messages_url"] == "/portal/notifications/"
    assert f"{unread} unread message" in html
    # The savings figures stay, from the same ledger.
    assert data["deposits"] == "300000.00" and "KES 300,000.00" in html
    assert data["share_capital"] == "20000.00"
    # The identity fields the API had before.
    assert data["membership_number"] == saver.membership_number and data["status"] == "active"


def test_another_members_loans_never_appear(client, saver, book, people, make_member, products, staff):
    stranger = member_with_savings(make_member, email="stranger@example.com", deposits="90000")
    theirs = application_submit(
        member=stranger, product=products["emergency"], amount="12345", term_months=6, purpose="Own"
    )
    application_approve(application=theirs, by=staff["officer"])
    their_loan = loan_disburse(application=theirs, by=staff["treasurer"]).loan
    position = member_loan_position(member=saver, today=book["today"])
    assert their_loan.pk not in {p.id for p in position.loans}
    assert book["juma_loan"].pk not in {p.id for p in position.loans}  # she guarantees it; it is not hers to pay
    sign_in_verified(client, saver.user)
    html = client.get("/portal/").content.decode()
    api = APIClient()
    api.force_authenticate(saver.user)
    body = api.get("/api/members/dashboard/").content.decode()
    for text in (html, body):
        assert str(their_loan.pk) not in text and "12,345" not in text and "12345" not in text
        assert stranger.membership_number not in text
    # And the stranger sees none of Wanjiru's.
    api.force_authenticate(stranger.user)
    data = api.get("/api/members/dashboard/").json()
    assert [loan["id"] for loan in data["loans"]] == [str(their_loan.pk)]
    assert data["guarantees"] == [] and data["applications"] == []


def test_a_member_with_nothing_sees_a_sensible_empty_state(client, member):
    position = member_loan_position(member=member, today=timezone.localdate())
    assert position.is_empty and position.outstanding_principal == ZERO and position.next_payment is None
    sign_in_verified(client, member.user)
    html = client.get("/portal/").content.decode()
    assert "You have no loans to repay." in html and "You guarantee no one's loan." in html
    assert "Applications in progress" not in html and "No unread messages." in html
    api = APIClient()
    api.force_authenticate(member.user)
    data = api.get("/api/members/dashboard/").json()
    assert data["loans"] == [] and data["guarantees"] == [] and data["applications"] == []
    assert data["loans_outstanding"] == data["arrears"] == data["guarantees_held"] == "0.00"
    assert data["next_payment"] is None and data["unread_messages"] == 0


def test_the_dashboard_keeps_its_query_budget(client, saver, book, django_assert_max_num_queries):
    sign_in_verified(client, saver.user)
    # The page's 17 (session, user, OTP, member, unread count, balances, chart, settings, site) plus the position:
    # the applications that concern her, the schedules, the guarantees, the workflow steps.
    with django_assert_max_num_queries(22):
        response = client.get("/portal/")
    assert response.status_code == 200 and len(response.context["position"].loans) == 2
    assert len(response.context["position"].guarantees) == 3 and len(response.context["position"].applications) == 1
    assert len(response.content) < 60_000
    api = APIClient()
    api.force_authenticate(saver.user)
    with django_assert_max_num_queries(10):
        assert api.get("/api/members/dashboard/").status_code == 200


def test_money_filter_shows_kes_with_thousands_and_cents():
    template = Template("{% load money %}{{ a|money }}|{{ b|money }}|{{ c|money }}")
    rendered = template.render(Context({"a": D("7061.015"), "b": D("1234567"), "c": None}))
    assert rendered == "KES 7,061.02|KES 1,234,567.00|"
