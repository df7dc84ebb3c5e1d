"""Money under concurrency, on PostgreSQL: the same check-off file imported from two threads at once posts once;
concurrent postings to one member lose nothing (ledger and cached summary agree); ten simultaneous repayments
on one loan are all applied; two simultaneous disbursements of one application make one loan."""

import datetime
from decimal import Decimal

import pytest

from portal.contributions.checkoff import checkoff_post
from portal.contributions.models import CheckoffImport, MemberShareSummary, MonthlyContribution
from portal.contributions.services import monthly_contribution_record, share_capital_payment_record
from portal.finance.banking.services import bank_account_primary
from portal.finance.ledger.models import JournalEntry
from portal.finance.ledger.selectors import account_balance
from tests.factories import kyc_verified, loan_disbursed, run_together

D = Decimal
PERIOD = datetime.date(2026, 10, 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_threads_import_the_same_file_it_posts_once(make_member):
    members = [make_member(payroll_number=f"C{i:04d}") for i in range(50)]
    content = ("payroll_number,share_capital,deposits\n" + "".join(f"C{i:04d},100,1000\n" for i in range(50))).encode()
    bank = bank_account_primary()

    def post():
        return checkoff_post(content=content, file_name="oct.csv", period=PERIOD, bank_account=bank)

    results, errors = run_together([post, post])
    assert errors == []
    assert sorted(r.created for r in results) == [False, True]
    assert CheckoffImport.objects.count() == 1
    assert JournalEntry.objects.count() == 50 and MonthlyContribution.objects.count() == 50
    assert account_balance(code="2000", member=members[0]) == D("1000.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_postings_to_one_member_lose_nothing(make_member):
    member = make_member()
    threads = 6
    per_thread = 5

    def pay(n):
        def run():
            for i in range(per_thread):
                monthly_contribution_record(
                    member=member,
                    amount="1000",
                    period=f"2026-{(i % 9) + 1:02d}",
                    reference=f"T{n}-{i}",
                    below_minimum_reason="concurrency test",
                )
                share_capital_payment_record(member=member, amount="10", reference=f"S{n}-{i}")

        return run

    _, errors = run_together([pay(n) for n in range(threads)])
    assert errors == []
    expected_deposits = D("1000.00") * threads * per_thread
    assert account_balance(code="2000", member=member) == expected_deposits
    summary = MemberShareSummary.objects.get(member=member)
    assert summary.deposits == expected_deposits
    assert summary.share_capital == D("10.00") * threads * per_thread


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ten_simultaneous_repayments_on_one_loan_lose_nothing(make_member, staff_user):
    from portal.loans.models import LoanRepayment
    from portal.loans.services import loan_repay

    loan = _prepared_loan(make_member, staff_user)
    results, errors = run_together(
        [lambda n=n: loan_repay(loan=loan, amount="1000", reference=f"RACE-{n}") for n in range(10)]
    )
    assert errors == []
    assert LoanRepayment.objects.filter(loan=loan).count() == 10
    paid = sum((i.paid for i in loan.instalments.all()), D("0"))
    assert paid == D("10000.00")
    assert account_balance(code="1010") == D("140000.00") + D("10000.00") - loan.amount_paid_out  # savings in, loan out


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_disbursements_make_one_loan(make_member, staff_user):
    from portal.loans.models import Loan
    from portal.loans.services import application_approve, application_submit, loan_disburse

    member = _eligible(make_member)
    from portal.loans.demo import loans_seed
    from portal.loans.models import LoanProduct

    loans_seed()
    product = LoanProduct.objects.get(slug="development")
    application = application_submit(member=member, product=product, amount="50000", term_months=12, purpose="x")
    application_approve(application=application, by=None)
    results, errors = run_together([lambda: loan_disburse(application=application, by=None)] * 2)
    assert errors == []
    assert Loan.objects.count() == 1 and sorted(r.created for r in results) == [False, True]
    assert JournalEntry.objects.filter(idempotency_key__startswith="disbursement:").count() == 1


def _eligible(make_member):
    member = make_member(join_date=datetime.date(2024, 1, 10))
    kyc_verified(member)
    share_capital_payment_record(member=member, amount="20000", reference=f"sc-{member.pk}")
    monthly_contribution_record(member=member, amount="120000", period="2025-01", reference=f"dep-{member.pk}")
    return member


def _prepared_loan(make_member, staff_user):
    from portal.loans.demo import loans_seed
    from portal.loans.models import LoanProduct

    member = _eligible(make_member)
    loans_seed()
    LoanProduct.objects.filter(slug="development").update(min_term_months=1)
    products = {p.slug: p for p in LoanProduct.objects.all()}
    return loan_disbursed(borrower=member, products=products, staff_user=staff_user)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_committee_votes_approve_once(make_member, deciders):
    from django.core.exceptions import PermissionDenied
    from wagtail.models import WorkflowState

    from portal.loans.approval import loan_review_act
    from portal.loans.demo import loans_seed
    from portal.loans.models import ApplicationStatus, LoanProduct
    from portal.loans.services import application_submit
    from portal.workflows.models import CommitteeVote

    member = _eligible(make_member)
    loans_seed()
    product = LoanProduct.objects.get(slug="development")
    application = application_submit(member=member, product=product, amount="50000", term_months=12, purpose="x")
    loan_review_act(application=application, user=deciders["officer"], action="approve")

    def vote(name):
        return lambda: loan_review_act(application=application, user=deciders[name], action="approve")

    results, errors = run_together([vote("joseph"), vote("mercy"), vote("tom")])
    assert len(results) == 2 and [type(e) for e in errors] == [PermissionDenied]  # the third came too late
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert CommitteeVote.objects.count() == 2
    assert WorkflowState.objects.get().status == WorkflowState.STATUS_APPROVED
    assert member.user.notifications.filter(subject__contains="approved").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_guarantors_accepting_at_once_start_one_review(make_member):
    from portal.loans.demo import loans_seed
    from portal.loans.models import LoanProduct, LoanReview
    from portal.loans.services import GuarantorRequest, application_submit, guarantee_accept

    loans_seed()
    product = LoanProduct.objects.get(slug="development")
    member = _eligible(make_member)
    guarantors = [_eligible(make_member) for _ in range(3)]
    application = application_submit(
        member=member,
        product=product,
        amount="300000",
        term_months=12,
        purpose="x",
        guarantors=[GuarantorRequest(g, "60000", str(n)) for n, g in enumerate(guarantors)],
    )
    guarantees = list(application.guarantees.select_related("guarantor"))
    results, errors = run_together(
        [lambda g=g: guarantee_accept(guarantee=g, by_member=g.guarantor) for g in guarantees]
    )
    assert errors == [] and len(results) == 3
    assert LoanReview.objects.filter(application=application).count() == 1
    assert LoanReview.objects.get().workflow_states.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_officers_appraising_at_once_start_the_committee_once(make_member, deciders, make_user):
    from django.core.exceptions import PermissionDenied
    from wagtail.models import TaskState

    from portal.loans.approval import loan_review_act
    from portal.loans.demo import loans_seed
    from portal.loans.models import LoanProduct
    from portal.loans.services import application_submit
    from portal.members import roles

    member = _eligible(make_member)
    loans_seed()
    product = LoanProduct.objects.get(slug="development")
    application = application_submit(member=member, product=product, amount="50000", term_months=12, purpose="x")
    officers = [deciders["officer"], make_user("second-officer@sacco.example", role=roles.LOANS_OFFICERS)]
    results, errors = run_together(
        [lambda u=u: loan_review_act(application=application, user=u, action="approve") for u in officers]
    )
    assert len(results) == 1 and [type(e) for e in errors] == [PermissionDenied]
    assert TaskState.objects.filter(task__name="Credit committee").count() == 1
