"""seed_demo: realistic, idempotent, one login per role, and refuses production settings."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from wagtail.models import Page

from portal.members import roles
from portal.members.demo import DEMO_LOGINS, DEMO_PASSWORD
from portal.members.models import Member, User

pytestmark = pytest.mark.django_db


def _counts():
    return User.objects.count(), Member.objects.count(), Page.objects.count()


def test_seed_demo_twice_creates_everything_once(settings, tmp_path, capsys):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", members=15, years=3)
    first = _counts()
    call_command("seed_demo", members=15, years=3)
    assert _counts() == first
    users, members, pages = first
    assert members == 15 + sum(1 for login in DEMO_LOGINS if login.is_member)
    assert users == 15 + len(DEMO_LOGINS)
    output = capsys.readouterr().out
    assert DEMO_PASSWORD in output
    for login in DEMO_LOGINS:
        assert login.email in output


def test_demo_money_is_posted_through_the_services_and_the_books_tie(settings, tmp_path, clock_at):
    from portal.contributions.models import CheckoffImport, MonthlyContribution
    from portal.finance.ledger.models import JournalEntry
    from portal.loans.models import Loan, LoanApplication, LoanReview
    from portal.workflows.models import CommitteeVote

    settings.MEDIA_ROOT = tmp_path
    # After this year's AGM (30 April), when last year's dividends are approved and posted (portal/dividends/demo.py):
    # the latest 30 November that is not in the future, so the test means the same on any day of the year.
    today = timezone.localdate()
    november = datetime.date(today.year, 11, 30)
    clock_at(november if november <= today else november.replace(year=today.year - 1))
    call_command("seed_demo", members=15, years=3)
    entries = JournalEntry.objects.count()
    assert MonthlyContribution.objects.count() > 100 and CheckoffImport.objects.count() == 1
    assert set(Loan.objects.values_list("classification", flat=True)) >= {"performing", "watch", "loss"}
    assert set(LoanApplication.objects.values_list("status", flat=True)) >= {"submitted", "approved", "rejected"}
    waiting = {review.application.purpose: review.waiting_for for review in LoanReview.objects.all()}
    assert waiting == {
        "Demo: in review": "Loans officer appraisal",
        "Demo: at committee": "Credit committee",
        "Demo: approved": "—",
        "Demo: rejected": "—",
    }
    votes = CommitteeVote.objects.filter(task_state__task__name="Credit committee").count()
    assert votes == 3  # one at committee, two on the approved one
    call_command("ledger_check")
    from portal.reports.models import FinancialStatement

    assert [s.live for s in FinancialStatement.objects.order_by("period_end")] == [True, False]
    for statement in FinancialStatement.objects.all():  # on the demo books too
        assert statement.data["balance_sheet"]["balances"] and statement.data["cash_flow"]["ties"]
    call_command("seed_demo", members=15, years=3)
    assert JournalEntry.objects.count() == entries  # the second run posts nothing
    assert FinancialStatement.objects.count() == 2
    from portal.dividends.models import DividendPosting, MemberDividend

    assert DividendPosting.objects.count() == 1 and MemberDividend.objects.count() > 10
    # nor votes twice (+2 on the statements, +2 on the year-end SASRA returns, +2 on the dividends, +2 on each
    # year's surplus appropriation)
    from portal.finance.yearend.models import AppropriationPosting, SurplusAppropriation, YearClose

    appropriations = SurplusAppropriation.objects.count()
    assert appropriations == AppropriationPosting.objects.count() == YearClose.objects.count() >= 1
    assert CommitteeVote.objects.count() == votes + 6 + 2 * appropriations and LoanReview.objects.count() == 4
    from portal.reports.models import Report, SavedReport

    assert SavedReport.objects.count() == 4 and SavedReport.objects.exclude(schedule=None).count() == 2
    assert sorted(Report.objects.values_list("status", flat=True)) == ["done"] * 4  # one run each, not two


def test_every_demo_login_signs_in_and_has_its_role(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", members=3, years=2)
    for login in DEMO_LOGINS:
        user = User.objects.get(email=login.email)
        assert user.groups.filter(name=login.role).exists()
        assert user.is_staff == (login.role != roles.MEMBERS)
        response = Client().post("/accounts/login/", {"login": login.email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, login.email


def test_demo_members_have_kenyan_names_and_spread_join_dates(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # 15 members are enough: seed_demo's fixed random seed spreads their join dates over 1,400+ days of the five
    # years (4+ calendar years on any day the test runs); 40 cost the time of a whole five-year demo again.
    call_command("seed_demo", members=15, years=5)
    members = Member.objects.select_related("user")
    years = {m.join_date.year for m in members}
    assert len(years) >= 4
    assert all(m.user.first_name and m.user.last_name and m.phone_number.startswith("+2547") for m in members)
    assert len({m.membership_number for m in members}) == members.count()


def test_seed_demo_refuses_production_settings(settings):
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo")
