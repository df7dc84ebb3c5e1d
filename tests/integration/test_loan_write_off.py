"""Issue 16: writing off a loss-class loan against the provision, with the credit committee's approval, and money
recovered afterwards going to 4300 Recoveries of loans written off. Amounts worked out by hand in the comments."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from rest_framework.test import APIClient

from portal.finance.ledger.invariants import invariant_problems
from portal.finance.ledger.selectors import account_balance
from portal.loans.invariants import loan_book_problems
from portal.loans.jobs import loans_daily, provision_adjust, provision_required
from portal.loans.models import Classification, LoanStatus, LoanWriteOff, ProposalStatus
from portal.loans.selectors import portfolio_report
from portal.loans.services import LoanStateError, loan_repay
from portal.loans.write_off import write_off_decide, write_off_prepare
from portal.members import roles
from tests.conftest import sign_in_verified
from tests.factories import loan_disbursed

pytestmark = pytest.mark.django_db
D = Decimal
LOSS_DAY = datetime.date(2027, 3, 1)  # 1 Mar 2027 − 15 Feb 2026 = 379 days past due: loss (over 360)


def _loss_loan(borrower, products, staff_user):
    """100,000 at 12 % over 12 months from 15 Jan 2026, never repaid; the daily job runs once on 1 Mar 2027."""
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    loans_daily(today=LOSS_DAY)
    loan.refresh_from_db()
    assert loan.classification == Classification.LOSS and loan.days_past_due == 379
    return loan


def _clean():
    assert loan_book_problems() == []
    assert invariant_problems() == []
    call_command("ledger_check")


def _approve(record, deciders):
    write_off_decide(write_off=record, user=deciders["joseph"], action="approve")
    return write_off_decide(write_off=record, user=deciders["mercy"], action="approve", reason="No prospect")


def test_write_off_posts_against_the_provision_and_recovery_goes_to_income(
    borrower, products, staff_user, deciders, clock_at
):
    loan = _loss_loan(borrower, products, staff_user)
    # Interest of all twelve instalments fell due: 1,000.00 + 921.15 + 841.51 + 761.08 + 679.84 + 597.79 + 514.92
    #   + 431.22 + 346.68 + 261.30 + 175.07 + 87.97 = 6,618.53.
    # March 2027's penalty, 1 % of each overdue instalment: eleven of 8,884.88 → 88.85 each, and the last of
    #   8,884.85 → 88.8485 → 88.85: 12 × 88.85 = 1,066.20.
    # Provision: 100 % of 100,000.00 (loss).
    assert account_balance(code="1100") == D("100000.00")
    assert account_balance(code="1110") == D("6618.53") and account_balance(code="1120") == D("1066.20")
    assert account_balance(code="1190") == D("100000.00")
    income_interest, income_penalty = account_balance(code="4000"), account_balance(code="4200")

    clock_at(datetime.date(2027, 3, 2))
    record = write_off_prepare(loan=loan, reason="Member absconded; guarantors exhausted", by=deciders["officer"])
    assert record.status == ProposalStatus.PENDING
    record = _approve(record, deciders)
    loan.refresh_from_db()
    assert record.status == ProposalStatus.APPLIED and loan.status == LoanStatus.WRITTEN_OFF
    assert (record.principal, record.interest, record.penalty) == (D("100000.00"), D("6618.53"), D("1066.20"))
    assert record.amount == record.memo_balance == D("107684.73")  # 100,000.00 + 6,618.53 + 1,066.20
    lines = {(line.account.code, line.debit, line.credit) for line in record.entry.lines.all()}
    assert lines == {
        ("1190", D("100000.00"), D("0.00")),  # against the provision
        ("1100", D("0.00"), D("100000.00")),
        ("4000", D("6618.53"), D("0.00")),  # interest recognised, never collected: reversed
        ("1110", D("0.00"), D("6618.53")),
        ("4200", D("1066.20"), D("0.00")),
        ("1120", D("0.00"), D("1066.20")),
    }
    # Off the balance sheet: 1100, 1110, 1120 and the provision are all 0.00 (100,000 − 100,000).
    for code in ("1100", "1110", "1120", "1190"):
        assert account_balance(code=code) == D("0.00"), code
    assert account_balance(code="4000") == income_interest - D("6618.53")
    assert account_balance(code="4200") == income_penalty - D("1066.20")
    # Reports leave it out: nothing required, nothing to move, no PAR.
    assert provision_required() == D("0.00") and provision_adjust(today=datetime.date(2027, 3, 2)) == D("0.00")
    report = portfolio_report()
    assert report.par30 == D("0.00") and sum(r.loans for r in report.rows) == 0
    _clean()

    # A recovery at the counter: Dr bank / Cr 4300, and the memo balance falls by it.
    repayment = loan_repay(loan=loan, amount="5000", reference="REC-1", date=datetime.date(2027, 3, 2)).repayment
    assert (repayment.recovery, repayment.principal_part, repayment.overpayment) == (D("5000.00"), 0, 0)
    assert account_balance(code="4300") == D("5000.00")
    record.refresh_from_db()
    assert record.recovered == D("5000.00") and record.memo_balance == D("102684.73")  # 107,684.73 − 5,000
    assert account_balance(code="1100") == D("0.00")
    # The same reference again posts nothing.
    assert loan_repay(loan=loan, amount="5000", reference="REC-1", date=datetime.date(2027, 3, 2)).created is False
    _clean()

    # More than is left: 4300 takes the memo balance, the rest goes to the member's deposits.
    big = loan_repay(loan=loan, amount="103000", reference="REC-2", date=datetime.date(2027, 3, 2)).repayment
    assert (big.recovery, big.overpayment) == (D("102684.73"), D("315.27"))  # 103,000 − 102,684.73
    record.refresh_from_db()
    assert record.memo_balance == D("0.00") and account_balance(code="4300") == D("107684.73")
    from portal.loans.reversal import repayment_reverse

    with pytest.raises(LoanStateError):  # a recovery is not undone by the repayment reversal
        repayment_reverse(repayment=repayment, by=staff_user(roles.ADMINISTRATORS), reason="Wrong member")
    _clean()


def test_only_a_loss_loan_is_written_off_and_the_preparer_never_approves(
    borrower, products, staff_user, deciders, make_user
):
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    with pytest.raises(LoanStateError):  # performing
        write_off_prepare(loan=loan, reason="x", by=deciders["officer"])
    loans_daily(today=LOSS_DAY)
    both = make_user("both@sacco.example", role=roles.CREDIT_COMMITTEE)
    from django.contrib.auth.models import Group

    both.groups.add(Group.objects.get(name=roles.LOANS_OFFICERS))
    record = write_off_prepare(loan=loan, reason="Lost", by=both)
    with pytest.raises(PermissionDenied):
        write_off_decide(write_off=record, user=both, action="approve")
    with pytest.raises(PermissionDenied):
        write_off_decide(write_off=record, user=deciders["officer"], action="approve")
    write_off_decide(write_off=record, user=deciders["joseph"], action="approve")
    with pytest.raises(PermissionDenied):
        write_off_decide(write_off=record, user=deciders["joseph"], action="approve")
    write_off_decide(write_off=record, user=deciders["tom"], action="reject", reason="Pursue the guarantors first")
    record.refresh_from_db()
    loan.refresh_from_db()
    assert record.status == ProposalStatus.REJECTED and loan.status == LoanStatus.ACTIVE
    assert account_balance(code="1100") == D("100000.00")
    _clean()


def test_api_prepare_approve_and_written_off_list(
    client, borrower, products, staff_user, deciders, clock_at, make_user
):
    loan = _loss_loan(borrower, products, staff_user)
    auditor = staff_user(roles.AUDITORS)
    clock_at(datetime.date(2027, 3, 2))
    url = f"/api/loans/loans/{loan.pk}/write-off/"
    api = APIClient()
    api.force_authenticate(auditor)
    assert api.post(url, {"reason": "x"}, format="json").status_code == 403
    api = APIClient()
    api.force_authenticate(make_user("second-treasurer@sacco.example", role=roles.TREASURER))
    assert api.post(url, {}, format="json").status_code == 400
    answer = api.post(url, {"reason": "Lost"}, format="json")
    assert answer.status_code == 201, answer.content
    approve = f"/api/loans/write-offs/{answer.json()['id']}/approve/"
    assert api.post(approve, {"action": "approve"}, format="json").status_code == 403  # the preparer
    for user in (deciders["joseph"], deciders["mercy"]):
        api = APIClient()
        api.force_authenticate(user)
        answer = api.post(approve, {"action": "approve"}, format="json")
        assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "applied" and answer.json()["memo_balance"] == "107684.73"
    assert LoanWriteOff.objects.get().status == ProposalStatus.APPLIED

    sign_in_verified(client, auditor)
    page = client.get("/admin/loans/written-off/")
    assert page.status_code == 200 and "107,684.73" in page.content.decode()
    _clean()


def test_a_checkoff_repayment_of_a_written_off_loan_is_a_recovery(borrower, products, staff_user, deciders, clock_at):
    from django.test import TestCase

    from portal.contributions.checkoff import checkoff_post
    from portal.finance.banking.services import bank_account_primary

    loan = _loss_loan(borrower, products, staff_user)
    clock_at(datetime.date(2027, 3, 2))
    record = _approve(write_off_prepare(loan=loan, reason="Lost", by=deciders["officer"]), deciders)
    content = f"membership_number,deposits,loan_repayment\n{borrower.membership_number},1000,2500\n".encode()
    with TestCase.captureOnCommitCallbacks(execute=True):
        checkoff_post(
            content=content,
            file_name="mar.csv",
            period=datetime.date(2027, 3, 1),
            bank_account=bank_account_primary(),
            received_on=datetime.date(2027, 3, 2),
        )
    # The 2,500.00 moves from 2300 [member] to 4300; the memo balance falls to 107,684.73 − 2,500 = 105,184.73.
    assert account_balance(code="2300", member=borrower) == D("0.00")
    assert account_balance(code="4300") == D("2500.00") and account_balance(code="1100") == D("0.00")
    record.refresh_from_db()
    assert record.recovered == D("2500.00") and record.memo_balance == D("105184.73")
    _clean()


def test_an_mpesa_loan_payment_on_a_written_off_loan_is_a_recovery(
    client, borrower, products, staff_user, deciders, clock_at, django_capture_on_commit_callbacks
):
    import json

    from portal.mpesa.models import MpesaReceipt, ReceiptStatus
    from tests.factories import c2b_body

    loan = _loss_loan(borrower, products, staff_user)
    clock_at(datetime.date(2027, 3, 2))
    record = _approve(write_off_prepare(loan=loan, reason="Lost", by=deciders["officer"]), deciders)
    body = c2b_body(
        borrower,
        trans_id="QREC000001",
        amount="1200",
        ref=f"{borrower.membership_number}-L",
        TransTime="20270302100000",
    )
    token = "test-callback-token-0123456789abcdef0123456789abcdef"
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            f"/api/mpesa/c2b/confirmation/{token}/", data=json.dumps(body), content_type="application/json"
        )
    assert answer.status_code == 200
    receipt = MpesaReceipt.objects.get()
    assert receipt.status == ReceiptStatus.POSTED and receipt.note == "Recovery on a written-off loan"
    # Dr paybill / Cr 2300 [member], then Dr 2300 / Cr 4300 1,200.00: 2300 back to zero.
    assert account_balance(code="2300", member=borrower) == D("0.00") and account_balance(code="4300") == D("1200.00")
    record.refresh_from_db()
    assert record.memo_balance == D("106484.73")  # 107,684.73 − 1,200.00
    _clean()
