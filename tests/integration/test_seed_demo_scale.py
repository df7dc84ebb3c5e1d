"""seed_demo --members N beyond the story's members: generated members with check-off savings and a loan book —
about a third borrow, every state of a loan is there — the books tie, and a second run adds nothing."""

import pytest
from django.core.management import call_command
from django.test import Client

from portal.contributions.models import MemberShareSummary, MonthlyContribution, ShareCapitalPayment
from portal.finance.ledger.models import JournalEntry
from portal.loans.invariants import loan_book_problems
from portal.loans.models import (
    ApplicationStatus,
    Classification,
    Loan,
    LoanApplication,
    LoanInstalment,
    LoanRepayment,
    LoanRestructure,
    LoanStatus,
    LoanWriteOff,
    ProposalStatus,
)
from portal.members.demo import DEMO_PASSWORD
from portal.members.demo_bulk import GENERATED_DOMAIN
from portal.members.models import Member

pytestmark = pytest.mark.django_db


def test_seed_demo_members_200_has_a_loan_book_in_every_state_and_tied_books(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", members=200, story=0, years=4)
    generated = Member.objects.filter(user__email__endswith=f"@{GENERATED_DOMAIN}")
    assert Member.objects.count() == 200 + 4  # and the demo logins who are members (no story members)
    assert generated.count() == 200
    # Years of monthly check-off savings for each, with the summaries the dashboard reads equal to the ledger.
    assert MonthlyContribution.objects.filter(member__in=generated).count() > 200 * 6
    assert ShareCapitalPayment.objects.filter(member__in=generated).exists()
    assert MemberShareSummary.objects.filter(member__in=generated).count() == 200
    borrowers = LoanApplication.objects.filter(member__in=generated).values("member").distinct().count()
    assert 0.25 <= borrowers / 200 <= 0.42  # about a third
    statuses = set(LoanApplication.objects.filter(member__in=generated).values_list("status", flat=True))
    assert statuses == set(ApplicationStatus.values)  # submitted, approved, rejected, withdrawn, disbursed
    loans = Loan.objects.filter(member__in=generated)
    assert {LoanStatus.ACTIVE, LoanStatus.CLOSED, LoanStatus.WRITTEN_OFF} <= set(loans.values_list("status", flat=True))
    active = loans.filter(status=LoanStatus.ACTIVE)
    assert set(active.values_list("classification", flat=True)) == set(Classification.values)  # current to loss
    assert LoanRestructure.objects.filter(loan__in=loans, status=ProposalStatus.APPLIED).exists()
    assert LoanWriteOff.objects.filter(loan__in=loans, status=ProposalStatus.APPLIED).exists()
    assert loans.filter(status=LoanStatus.CLOSED).exclude(refinanced_by=None).exists()  # topped up
    # Schedules and repayments as the engine keeps them; the loan book equals 1100/1110/1120.
    assert LoanInstalment.objects.filter(loan__in=loans).count() >= 10 * loans.count()
    assert LoanRepayment.objects.filter(loan__in=loans).count() > loans.count()
    assert loan_book_problems() == []
    call_command("ledger_check")  # balanced entries, trial balance, savings summaries, loan book
    # A generated member signs in with the demo password and sees their dashboard.
    member = active.filter(classification=Classification.PERFORMING).first().member
    client = Client()
    assert client.post("/accounts/login/", {"login": member.user.email, "password": DEMO_PASSWORD}).status_code == 302
    assert client.get("/portal/").status_code == 200
    # Run again: nothing is added.
    counts = (Member.objects.count(), JournalEntry.objects.count(), Loan.objects.count())
    call_command("seed_demo", members=200, story=0, years=4)
    assert (Member.objects.count(), JournalEntry.objects.count(), Loan.objects.count()) == counts
