"""Issue 16: rescheduling / restructuring a loan — prepared by a loans officer, approved by two distinct credit
committee members in the workflow "Loan restructure and write-off"; the old schedule kept as history; arrears
capitalised with a balanced entry; a restructured loan stays non-performing until three consecutive on-time
payments (SASRA). Every amount below is worked out by hand in the comments."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from rest_framework.test import APIClient

from portal.finance.ledger.invariants import invariant_problems
from portal.finance.ledger.selectors import account_balance
from portal.loans.invariants import loan_book_problems
from portal.loans.jobs import loans_daily
from portal.loans.models import Classification, LoanInstalment, LoanRestructure, ProposalStatus
from portal.loans.restructure import restructure_decide, restructure_prepare
from portal.loans.services import LoanStateError, loan_repay
from portal.members import roles
from tests.factories import loan_disbursed

pytestmark = pytest.mark.django_db
D = Decimal
INSTALMENT = D("8884.88")  # 100,000 at 12 % (r = 1 %), 12 months: 100,000 × 0.01 / (1 − 1.01^−12) = 8,884.8789


def _pay_first_three(loan):
    for day in (datetime.date(2026, 2, 15), datetime.date(2026, 3, 15), datetime.date(2026, 4, 15)):
        loan_repay(loan=loan, amount=INSTALMENT, reference=f"PAY-{day:%m}", date=day)


def _approve(record, deciders):
    restructure_decide(restructure=record, user=deciders["joseph"], action="approve")
    return restructure_decide(restructure=record, user=deciders["mercy"], action="approve", reason="Agreed")


def _clean():
    assert loan_book_problems() == []
    assert invariant_problems() == []
    call_command("ledger_check")  # raises CommandError on a problem


def test_restructure_over_18_months_to_the_cent(borrower, products, staff_user, deciders, clock_at):
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)  # 15 Jan 2026
    _pay_first_three(loan)
    # Outstanding after three instalments (interest = balance × 1 %, principal = 8,884.88 − interest):
    #   100,000.00 − 7,884.88 = 92,115.12; − (8,884.88 − 921.15 = 7,963.73) = 84,151.39;
    #   − (8,884.88 − 841.51 = 8,043.37) = 76,108.02
    assert account_balance(code="1100") == D("76108.02")
    clock_at(datetime.date(2026, 4, 20))
    record = restructure_prepare(
        loan=loan, term_months=18, reason="Salary cut; longer term agreed", by=deciders["officer"]
    )
    assert record.status == ProposalStatus.PENDING and record.annual_rate == D("12.0000")  # the loan's rate
    assert loan.instalments.count() == 12  # nothing changes before the committee decides

    record = _approve(record, deciders)
    assert record.status == ProposalStatus.APPLIED and record.applied_on == datetime.date(2026, 4, 20)
    # Nothing receivable (every instalment due was paid), so nothing is capitalised and nothing posted.
    assert (record.principal_before, record.interest_capitalised, record.penalty_capitalised) == (
        D("76108.02"),
        D("0.00"),
        D("0.00"),
    )
    assert record.new_principal == D("76108.02") and record.entry is None
    # New instalment: 76,108.02 × 0.01 / (1 − 1.01^−18) = 761.0802 / (1 − 0.836017) = 761.0802 / 0.163983 = 4,641.22
    rows = list(loan.instalments.order_by("number"))
    assert len(rows) == 18 and {r.schedule_version for r in rows} == {2}
    assert [r.number for r in rows] == list(range(13, 31))  # numbered on after the old schedule's 12
    first, second, last = rows[0], rows[1], rows[-1]
    assert first.due_date == datetime.date(2026, 5, 20) and last.due_date == datetime.date(2027, 10, 20)
    # Month 1: interest 76,108.02 × 1 % = 761.08; principal 4,641.22 − 761.08 = 3,880.14 → balance 72,227.88.
    assert (first.interest, first.principal) == (D("761.08"), D("3880.14"))
    # Month 2: interest 722.2788 → 722.28; principal 4,641.22 − 722.28 = 3,918.94.
    assert (second.interest, second.principal) == (D("722.28"), D("3918.94"))
    # Month 18 takes what is left: 4,595.31 principal + 45.95 interest = 4,641.26.
    assert (last.principal, last.interest) == (D("4595.31"), D("45.95"))
    assert sum(r.principal for r in rows) == D("76108.02")
    # The old schedule is history, not deleted: 12 rows of version 1, marked superseded, with what was paid.
    old = LoanInstalment.all_versions.filter(loan=loan, superseded=True).order_by("number")
    assert old.count() == 12 and {r.schedule_version for r in old} == {1}
    assert [r.principal_paid for r in old[:3]] == [D("7884.88"), D("7963.73"), D("8043.37")]
    loan.refresh_from_db()
    assert (loan.term_months, loan.annual_rate) == (18, D("12.0000"))
    _clean()

    # The daily job and a repayment use the new schedule only.
    loans_daily(today=datetime.date(2026, 5, 20))
    assert account_balance(code="1110") == D("761.08")
    clock_at(datetime.date(2026, 5, 20))
    repayment = loan_repay(loan=loan, amount=D("4641.22"), reference="NEW-1", date=datetime.date(2026, 5, 20))
    assert (repayment.repayment.interest_part, repayment.repayment.principal_part) == (D("761.08"), D("3880.14"))
    assert account_balance(code="1100") == D("72227.88")  # 76,108.02 − 3,880.14
    _clean()


def test_arrears_are_capitalised_and_the_loan_stays_substandard_until_three_on_time_payments(
    borrower, products, staff_user, deciders, clock_at
):
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    _pay_first_three(loan)
    loans_daily(today=datetime.date(2026, 7, 1))  # May and June unpaid
    loan.refresh_from_db()
    # 1 Jul − 15 May = 47 days past due: substandard (31–180).
    assert loan.days_past_due == 47 and loan.classification == Classification.SUBSTANDARD
    # Receivable: interest of May 761.08 (76,108.02 × 1 %) + June 679.84 (67,984.22 × 1 %) = 1,440.92;
    # July's penalties: 1 % of each overdue instalment, 88.8488 → 88.85 twice = 177.70.
    assert account_balance(code="1110") == D("1440.92") and account_balance(code="1120") == D("177.70")
    assert account_balance(code="1190") == D("19027.01")  # 25 % of 76,108.02 = 19,027.005 → 19,027.01

    clock_at(datetime.date(2026, 7, 2))
    record = restructure_prepare(loan=loan, term_months=12, reason="Back to work in July", by=deciders["officer"])
    record = _approve(record, deciders)
    # New principal = 76,108.02 + 1,440.92 + 177.70 = 77,726.64; one entry Dr 1100 1,618.62 / Cr 1110 / Cr 1120.
    assert record.new_principal == D("77726.64") and record.classification_held == Classification.SUBSTANDARD
    lines = {(line.account.code, line.debit, line.credit) for line in record.entry.lines.all()}
    assert lines == {
        ("1100", D("1618.62"), D("0.00")),
        ("1110", D("0.00"), D("1440.92")),
        ("1120", D("0.00"), D("177.70")),
    }
    assert account_balance(code="1100") == D("77726.64")
    assert account_balance(code="1110") == D("0.00") and account_balance(code="1120") == D("0.00")
    _clean()
    # 77,726.64 over 12 months: 777.2664 / (1 − 1.01^−12 = 0.112551) = 6,905.92; first due 2 Aug 2026.
    rows = list(loan.instalments.order_by("number"))
    assert rows[0].due_date == datetime.date(2026, 8, 2)
    assert (rows[0].interest, rows[0].principal) == (D("777.27"), D("6128.65"))  # 6,905.92 − 777.27
    assert (rows[1].interest, rows[2].interest) == (D("715.98"), D("654.08"))  # 71,597.99 and 65,408.05 × 1 %

    # Not performing on restructuring alone: no days past due, but still substandard (and provisioned so).
    loans_daily(today=datetime.date(2026, 7, 10))
    loan.refresh_from_db()
    assert loan.days_past_due == 0 and loan.classification == Classification.SUBSTANDARD
    assert account_balance(code="1190") == D("19431.66")  # 25 % of 77,726.64

    for number, day in enumerate((datetime.date(2026, 8, 2), datetime.date(2026, 9, 2)), start=1):
        clock_at(day)
        loan_repay(loan=loan, amount=D("6905.92"), reference=f"R-{number}", date=day)
        loans_daily(today=day + datetime.timedelta(days=1))
        loan.refresh_from_db()
        assert loan.classification == Classification.SUBSTANDARD, f"after {number} on-time payment(s)"
    clock_at(datetime.date(2026, 10, 1))  # the third, a day early
    loan_repay(loan=loan, amount=D("6905.92"), reference="R-3", date=datetime.date(2026, 10, 1))
    loans_daily(today=datetime.date(2026, 10, 3))
    loan.refresh_from_db()
    record.refresh_from_db()
    assert loan.classification == Classification.PERFORMING and record.cured_on == datetime.date(2026, 10, 3)
    _clean()


def test_a_late_payment_breaks_the_run(borrower, products, staff_user, deciders, clock_at):
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    _pay_first_three(loan)
    loans_daily(today=datetime.date(2026, 7, 1))
    clock_at(datetime.date(2026, 7, 2))
    _approve(restructure_prepare(loan=loan, term_months=12, reason="x", by=deciders["officer"]), deciders)
    clock_at(datetime.date(2026, 8, 10))  # 8 days late
    loan_repay(loan=loan, amount=D("6905.92"), reference="LATE", date=datetime.date(2026, 8, 10))
    for day in (datetime.date(2026, 9, 2), datetime.date(2026, 10, 2)):
        clock_at(day)
        loan_repay(loan=loan, amount=D("6905.92"), reference=f"ON-{day:%m}", date=day)
    loans_daily(today=datetime.date(2026, 10, 3))
    loan.refresh_from_db()
    assert loan.classification == Classification.SUBSTANDARD  # only two in a row on time


def test_payment_holiday_interest_falls_due_with_the_first_instalment(
    borrower, products, staff_user, deciders, clock_at
):
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    _pay_first_three(loan)
    clock_at(datetime.date(2026, 4, 20))
    record = restructure_prepare(
        loan=loan, term_months=18, holiday_months=2, annual_rate="10", reason="Harvest failed", by=deciders["officer"]
    )
    _approve(record, deciders)
    rows = list(loan.instalments.order_by("number"))
    # Nothing due in May and June; the first instalment on 20 Jul 2026 (2 + 1 months after 20 Apr).
    assert len(rows) == 18 and rows[0].due_date == datetime.date(2026, 7, 20)
    # r = 10 / 1200. Month's interest 76,108.02 × r = 634.2335 → 634.23; the holiday's 76,108.02 × r × 2
    # = 1,268.467 → 1,268.47; due with the first instalment: 634.23 + 1,268.47 = 1,902.70.
    assert rows[0].interest == D("1902.70")
    # Annuity 76,108.02 × r / (1 − (1 + r)^−18) = 634.2335 / (1 − 0.861245) = 634.2335 / 0.138755 = 4,570.83;
    # principal of month 1 = 4,570.83 − 634.23 = 3,936.60.
    assert rows[0].principal == D("3936.60")
    assert sum(r.principal for r in rows) == D("76108.02")
    _clean()


def test_who_may_prepare_and_approve(borrower, products, staff_user, deciders, make_user):
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    # Reasons and terms are checked, each named.
    with pytest.raises(ValidationError) as err:
        restructure_prepare(loan=loan, term_months=0, reason="x", by=deciders["officer"])
    assert "term_months" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        restructure_prepare(loan=loan, term_months=12, annual_rate="NaN", reason="x", by=deciders["officer"])
    assert "annual_rate" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        restructure_prepare(loan=loan, term_months=12, reason=" ", by=deciders["officer"])
    assert "reason" in err.value.message_dict

    # A committee member who is also a loans officer prepares: they cannot vote on their own proposal.
    both = make_user("both@sacco.example", role=roles.CREDIT_COMMITTEE)
    both.groups.add(*roles_groups(roles.LOANS_OFFICERS))
    record = restructure_prepare(loan=loan, term_months=24, reason="Longer term", by=both)
    with pytest.raises(PermissionDenied):
        restructure_decide(restructure=record, user=both, action="approve")
    with pytest.raises(PermissionDenied):  # the officer is not on the committee
        restructure_decide(restructure=record, user=deciders["officer"], action="approve")
    with pytest.raises(LoanStateError):  # one proposal at a time
        restructure_prepare(loan=loan, term_months=18, reason="Again", by=deciders["officer"])
    restructure_decide(restructure=record, user=deciders["joseph"], action="approve")
    with pytest.raises(PermissionDenied):  # one vote each: two DISTINCT members
        restructure_decide(restructure=record, user=deciders["joseph"], action="approve")
    with pytest.raises(ValidationError):  # a rejection says why
        restructure_decide(restructure=record, user=deciders["mercy"], action="reject")
    restructure_decide(restructure=record, user=deciders["mercy"], action="reject", reason="Not convinced")
    record.refresh_from_db()
    assert record.status == ProposalStatus.REJECTED and record.decision_reason == "Not convinced"
    assert loan.instalments.count() == 12 and LoanInstalment.all_versions.filter(loan=loan).count() == 12
    _clean()


def roles_groups(*names):
    from django.contrib.auth.models import Group

    return list(Group.objects.filter(name__in=names))


def test_api_prepare_and_approve(borrower, products, staff_user, deciders, clock_at):
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    _pay_first_three(loan)
    clock_at(datetime.date(2026, 4, 20))
    api = APIClient()
    url = f"/api/loans/loans/{loan.pk}/restructure/"

    api.force_authenticate(staff_user(roles.CLERKS))  # clerks record repayments but do not restructure
    assert api.post(url, {"term_months": 18, "reason": "x"}, format="json").status_code == 403

    api = APIClient()
    api.force_authenticate(deciders["officer"])
    for bad in (
        {"term_months": "1e30", "reason": "x"},
        {"term_months": 18},
        {"term_months": 18, "reason": "x", "annual_rate": "NaN"},
    ):
        answer = api.post(url, bad, format="json")
        assert answer.status_code == 400, (bad, answer.content)
    answer = api.post(url, {"term_months": 18, "reason": "Salary cut"}, format="json")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["status"] == "pending" and body["term_months"] == 18
    assert api.post(url, {"term_months": 18, "reason": "Again"}, format="json").status_code == 409

    approve = f"/api/loans/restructures/{body['id']}/approve/"
    assert api.post(approve, {}, format="json").status_code == 403  # the officer has no vote
    for user in (deciders["joseph"], deciders["mercy"]):
        api = APIClient()
        api.force_authenticate(user)
        answer = api.post(approve, {"action": "approve"}, format="json")
        assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "applied" and answer.json()["new_principal"] == "76108.02"
    assert LoanRestructure.objects.get().status == ProposalStatus.APPLIED
    _clean()


def test_admin_prepare_then_committee_decides_in_approvals(client, borrower, products, staff_user, deciders):
    from tests.conftest import sign_in_verified

    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    sign_in_verified(client, deciders["officer"])
    # The loan's page offers it (the loan book's rows carry no actions: issue 17).
    listing = client.get(f"/admin/snippets/loans/loan/inspect/{loan.pk}/").content.decode()
    assert f"/admin/loans/loans/{loan.pk}/restructure/" in listing
    url = f"/admin/loans/loans/{loan.pk}/restructure/"
    assert client.get(url).status_code == 200
    bad = client.post(url, {"term_months": "0", "annual_rate": "12", "holiday_months": "0", "reason": "x"})
    assert bad.status_code == 200 and LoanRestructure.objects.count() == 0
    done = client.post(url, {"term_months": "24", "annual_rate": "12", "holiday_months": "1", "reason": "Sick leave"})
    assert done.status_code == 302
    record = LoanRestructure.objects.get()

    for name in ("joseph", "mercy"):
        client.logout()
        sign_in_verified(client, deciders[name])
        approvals = client.get("/admin/snippets/loans/loanrestructure/")
        assert approvals.status_code == 200 and borrower.membership_number in approvals.content.decode()
        decide = f"/admin/approvals/loans/loanrestructure/{record.pk}/decide/approve/"
        assert client.post(decide, {"comment": ""}).status_code == 302
    record.refresh_from_db()
    assert record.status == ProposalStatus.APPLIED and loan.instalments.count() == 24
    # The replaced schedule stays readable in the admin (Loans → Instalments, filter "superseded").
    history = client.get("/admin/snippets/loans/loaninstalment/?superseded=true")
    assert history.status_code == 200
    _clean()


def test_a_repayment_before_the_restructure_is_not_reversed_behind_its_back(
    borrower, products, staff_user, deciders, clock_at
):
    from portal.loans.models import LoanRepayment
    from portal.loans.reversal import repayment_reverse

    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    _pay_first_three(loan)
    clock_at(datetime.date(2026, 4, 20))
    _approve(restructure_prepare(loan=loan, term_months=18, reason="x", by=deciders["officer"]), deciders)
    with pytest.raises(LoanStateError):
        repayment_reverse(
            repayment=LoanRepayment.objects.get(reference="PAY-04"), by=staff_user(roles.ADMINISTRATORS), reason="x"
        )
    _clean()
