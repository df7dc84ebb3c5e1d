"""Issue 13: the `*_visible_to(user=…)` selectors the API lists and details start from. A member sees only their own
records, staff with the read permission see everyone's, and a signed-out caller (or none) sees nothing."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser

from portal.contributions.selectors import contributions_visible_to, share_capital_payments_visible_to
from portal.contributions.services import monthly_contribution_record, share_capital_payment_record
from portal.dividends.selectors import member_dividends_visible_to
from portal.dividends.services import dividend_prepare, dividend_vote
from portal.loans.selectors import applications_visible_to, guarantees_visible_to, loans_visible_to
from portal.members import roles
from portal.members.models import ActivityAction, ActivityLog, KycDocument
from portal.members.selectors import activity_logs_visible_to, kyc_documents_visible_to, members_visible_to
from portal.reports.models import FinancialStatement
from portal.reports.selectors import financial_statements_visible_to
from tests.factories import application_with_guarantors, dividend_terms, loan_disbursed

pytestmark = pytest.mark.django_db
PERIOD = (datetime.date.today().replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
NOBODY = [None, AnonymousUser()]


@pytest.fixture
def staff(staff_user):
    """One staff user per role, made once (conftest's staff_user makes a new one, same email, on each call)."""
    made = {}

    def _get(role):
        if role not in made:
            made[role] = staff_user(role)
        return made[role]

    return _get


def _staff(staff, role, permission):
    user = staff(role)
    assert user.has_perm(permission)  # the role this test relies on still holds the permission
    return user


def test_members(member, other_member, staff):
    assert list(members_visible_to(user=member.user)) == [member]
    clerk = _staff(staff, roles.CLERKS, "members.view_member")
    assert set(members_visible_to(user=clerk)) == {member, other_member}
    for nobody in NOBODY:
        assert not members_visible_to(user=nobody).exists()


def test_kyc_documents_and_activity_logs(member, other_member, staff):
    for who in (member, other_member):
        KycDocument.objects.create(
            member=who, document_type="national_id", content_type="application/pdf", size=10, sha256="x"
        )
        ActivityLog.objects.create(user=who.user, action=ActivityAction.LOGIN)
    assert {d.member for d in kyc_documents_visible_to(user=member.user)} == {member}
    assert {a.user for a in activity_logs_visible_to(user=member.user)} == {member.user}
    desk = _staff(staff, roles.CLERKS, "members.view_kycdocument")
    assert kyc_documents_visible_to(user=desk).count() == 2
    assert {a.user for a in activity_logs_visible_to(user=desk)} >= {member.user, other_member.user}
    for nobody in NOBODY:
        assert not kyc_documents_visible_to(user=nobody).exists()
        assert not activity_logs_visible_to(user=nobody).exists()


def test_contributions_and_share_capital(member, other_member, make_user, staff):
    for n, who in enumerate((member, other_member)):
        monthly_contribution_record(member=who, amount="1000", period=PERIOD, reference=f"C{n}")
        share_capital_payment_record(member=who, amount="1000", reference=f"S{n}")
    assert {c.member for c in contributions_visible_to(user=member.user)} == {member}
    assert {p.member for p in share_capital_payments_visible_to(user=member.user)} == {member}
    treasurer = _staff(staff, roles.TREASURER, "contributions.view_monthlycontribution")
    assert contributions_visible_to(user=treasurer).count() == 2
    assert share_capital_payments_visible_to(user=treasurer).count() == 2
    no_member = make_user("no-member@example.com")  # signed in, no member record, no permission: nothing
    assert not contributions_visible_to(user=no_member).exists()
    assert not share_capital_payments_visible_to(user=no_member).exists()
    for nobody in NOBODY:
        assert not contributions_visible_to(user=nobody).exists()
        assert not share_capital_payments_visible_to(user=nobody).exists()


def test_applications_loans_and_guarantees(people, borrower, products, staff):
    juma, akinyi, baraka = people["juma"], people["akinyi"], people["baraka"]
    application = application_with_guarantors(
        borrower=juma,
        product=products["development"],
        amount="120000",
        guarantors=[(akinyi, "40000", "akinyi"), (baraka, "30000", "baraka")],
    )
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff)

    assert list(applications_visible_to(user=juma.user)) == [application]
    assert not applications_visible_to(user=akinyi.user).exists()
    officer = _staff(staff, roles.LOANS_OFFICERS, "loans.view_loanapplication")
    assert applications_visible_to(user=officer).count() == 2  # Juma's and the borrower's (disbursed)

    assert list(loans_visible_to(user=borrower.user)) == [loan]
    assert not loans_visible_to(user=juma.user).exists()
    assert _staff(staff, roles.LOANS_OFFICERS, "loans.view_loan")
    assert list(loans_visible_to(user=officer)) == [loan]

    assert [g.guarantor for g in guarantees_visible_to(user=akinyi.user)] == [akinyi]
    assert not guarantees_visible_to(user=juma.user).exists()  # the borrower is not asked
    assert not guarantees_visible_to(user=officer).exists()  # a guarantor answers their own: staff see none here
    for nobody in NOBODY:
        assert not applications_visible_to(user=nobody).exists()
        assert not loans_visible_to(user=nobody).exists()
        assert not guarantees_visible_to(user=nobody).exists()


def test_member_dividends(year_2025, staff, deciders):
    declaration = dividend_prepare(**dividend_terms(), by=staff(roles.TREASURER))
    dividend_vote(declaration=declaration, user=deciders["joseph"])
    dividend_vote(declaration=declaration, user=deciders["mercy"])
    a, b = year_2025["a"], year_2025["b"]
    assert {d.member for d in member_dividends_visible_to(user=a.user)} == {a}
    assert b not in {d.member for d in member_dividends_visible_to(user=a.user)}
    treasurer = _staff(staff, roles.TREASURER, "dividends.view_memberdividend")
    assert member_dividends_visible_to(user=treasurer).count() == 3
    for nobody in NOBODY:
        assert not member_dividends_visible_to(user=nobody).exists()


def test_financial_statements(member, staff):
    day = datetime.date(2025, 1, 1)
    live = FinancialStatement.objects.create(title="2025", period_start=day, period_end=day, data={}, live=True)
    FinancialStatement.objects.create(title="Draft", period_start=day, period_end=day, data={}, live=False)
    assert list(financial_statements_visible_to(user=member.user)) == [live]
    treasurer = _staff(staff, roles.TREASURER, "reports.view_financialstatement")
    assert financial_statements_visible_to(user=treasurer).count() == 2
    for nobody in NOBODY:
        assert not financial_statements_visible_to(user=nobody).exists()
