"""Issue 16: a repayment posted in error is reversed — contra entries, the instalments exactly as before it, later
repayments re-allocated, the loan re-opened, money from a check-off row or M-Pesa back in 2300 for staff.

The loan of every test (tests/factories.loan_disbursed): KES 100,000 at 12 % a year over 12 months, reducing balance
with equal instalments, disbursed 15 Jan 2026, fees deducted (98,500.00 paid out of the bank).
A = 100,000 × 0.01 / (1 − 1.01^−12) = 8,884.88 (domain.md):
- instalment 1, due 15 Feb: interest 1 % × 100,000.00 = 1,000.00, principal 8,884.88 − 1,000.00 = 7,884.88;
- instalment 2, due 15 Mar: interest 1 % × 92,115.12 = 921.15, principal 8,884.88 − 921.15 = 7,963.73."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import TestCase
from wagtail.models import ModelLogEntry

from portal.contributions.checkoff import checkoff_post
from portal.contributions.models import CheckoffRow, MonthlyContribution
from portal.contributions.services import payment_reverse
from portal.finance.banking.services import bank_account_primary
from portal.finance.ledger.selectors import account_balance
from portal.loans.invariants import loan_book_problems
from portal.loans.models import (
    Guarantee,
    GuaranteeStatus,
    LoanRepayment,
    LoanRepaymentReversal,
    LoanStatus,
    ReversalKind,
)
from portal.loans.reversal import RepaymentAlreadyReversed, repayment_reverse
from portal.loans.services import application_approve, guarantee_accept, loan_disburse, loan_repay
from portal.loans.statements import loan_statement
from portal.members import roles
from portal.mpesa.receipts import Purpose, Split, mpesa_receipt_post, receipt_allocate
from portal.mpesa.selectors import unallocated_receipts
from portal.notifications.models import Notification
from portal.reports.member_statement import member_statement
from tests.factories import application_with_guarantors, loan_disbursed, member_with_savings, run_together

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = datetime.date(2026, 3, 20)


def _paid(loan):
    """(number, penalty_paid, interest_paid, principal_paid, interest_accrued) of every instalment."""
    return [
        (i.number, i.penalty_paid, i.interest_paid, i.principal_paid, i.interest_accrued)
        for i in loan.instalments.order_by("number")
    ]


def _lines(entry):
    return sorted(
        (line.account.code, line.member_id, line.debit, line.credit) for line in entry.lines.select_related("account")
    )


def _clean():
    assert loan_book_problems() == []
    call_command("ledger_check")


@pytest.fixture
def treasurer(make_user):
    return make_user("wanjiru@sacco.example", role=roles.TREASURER, first_name="Wanjiru", last_name="Mwangi")


def test_reversing_the_first_of_two_repayments_reallocates_the_second_to_the_cent(
    borrower, products, staff_user, treasurer, clock_at
):
    clock_at(TODAY)
    bank = bank_account_primary().ledger_account.code
    bank_before = account_balance(code=bank)
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    first = loan_repay(loan=loan, amount="8884.88", reference="SLIP-1", date=datetime.date(2026, 2, 10)).repayment
    second = loan_repay(loan=loan, amount="8884.88", reference="SLIP-2", date=datetime.date(2026, 3, 10)).repayment
    assert (second.interest_part, second.principal_part) == (D("921.15"), D("7963.73"))  # instalment 2

    reversal = repayment_reverse(repayment=first, by=treasurer, reason="Slip belonged to another member")

    # The contra entry: R1's lines, sides swapped, back out of the bank it came in to.
    assert reversal.entry.reversal_of_id == first.entry_id and reversal.entry.date == TODAY
    assert _lines(reversal.entry) == [
        (bank, None, D("0.00"), D("8884.88")),  # 1010, sorted first
        ("1100", borrower.pk, D("7884.88"), D("0.00")),
        ("1110", borrower.pk, D("1000.00"), D("0.00")),
    ]
    # SLIP-2 reversed too and applied again: now it pays instalment 1 (interest 1,000.00, principal 7,884.88).
    moved = LoanRepaymentReversal.objects.get(repayment=second)
    assert moved.kind == ReversalKind.REALLOCATED and moved.caused_by == reversal
    again = moved.reapplied_as
    assert again.reference == "SLIP-2" and again.date == datetime.date(2026, 3, 10) and again.amount == D("8884.88")
    assert (again.penalty_part, again.interest_part, again.principal_part) == (D("0.00"), D("1000.00"), D("7884.88"))
    assert _lines(again.entry) == [
        (bank, None, D("8884.88"), D("0.00")),
        ("1100", borrower.pk, D("0.00"), D("7884.88")),
        ("1110", borrower.pk, D("0.00"), D("1000.00")),
    ]
    assert _paid(loan)[:3] == [
        (1, D("0.00"), D("1000.00"), D("7884.88"), True),
        (2, D("0.00"), D("0.00"), D("0.00"), True),  # accrued when SLIP-2 first reached it: stays due
        (3, D("0.00"), D("0.00"), D("0.00"), False),
    ]
    # GL by hand: 1100 = 100,000.00 − 7,884.88 = 92,115.12; 1110 = accrued 1,000.00 + 921.15 − paid 1,000.00
    # = 921.15; 4000 = 1,921.15; the bank = before − 98,500.00 paid out + 8,884.88 (SLIP-2 only) = before − 89,615.12.
    assert account_balance(code="1100") == D("92115.12")
    assert account_balance(code="1110") == D("921.15")
    assert account_balance(code="4000") == D("1921.15")
    assert account_balance(code=bank) == bank_before - D("89615.12")
    _clean()

    # Once only: the reversed one and the one re-allocated are both refused (409 in the API).
    with pytest.raises(RepaymentAlreadyReversed):
        repayment_reverse(repayment=first, by=treasurer, reason="Again")
    with pytest.raises(RepaymentAlreadyReversed):
        repayment_reverse(repayment=second, by=treasurer, reason="Again")
    assert LoanRepaymentReversal.objects.count() == 2

    # The statement shows the repayment and its reversal; the audit trail names who and why.
    descriptions = [row.description for row in loan_statement(loan=loan)]
    assert any(d.startswith("Repayment SLIP-1 reversed: Slip belonged to another member") for d in descriptions)
    statement = member_statement(member=borrower, start=datetime.date(2026, 1, 1), end=TODAY)
    loans = next(section for section in statement["sections"] if section["title"].startswith("Loans"))
    assert loans["closing"] == D("92115.12") + D("921.15")  # 1100 + 1110 above
    reversed_rows = [row for row in loans["rows"] if row["description"].startswith("Repayment SLIP-1 reversed")]
    assert sum((row["in"] for row in reversed_rows), D("0")) == D("8884.88")  # back on what Juma owes
    log = ModelLogEntry.objects.get(action="sacco.reverse", object_id=str(first.pk))
    assert log.user == treasurer and "Slip belonged to another member" in log.data["summary"]
    assert Notification.objects.filter(user=borrower.user, subject="A loan repayment was reversed").exists()


def test_the_instalments_come_back_exactly_and_a_closed_loan_reopens_with_its_guarantees(
    borrower, products, make_member, treasurer, clock_at
):
    clock_at(TODAY)
    akinyi = member_with_savings(make_member, email="akinyi@example.com", deposits="60000")
    baraka = member_with_savings(make_member, email="baraka@example.com", deposits="40000")
    # 130,000 is 10,000 above Juma's free deposits of 120,000: two guarantees of 5,000 cover it.
    application = application_with_guarantors(
        borrower=borrower,
        product=products["development"],
        amount="130000",
        guarantors=[(akinyi, "5000", "A"), (baraka, "5000", "B")],
    )
    for guarantor in (akinyi, baraka):
        guarantee_accept(guarantee=Guarantee.objects.get(guarantor=guarantor), by_member=guarantor)
    application_approve(application=application, by=None)
    loan = loan_disburse(application=application, by=None, date=datetime.date(2026, 1, 15)).loan
    loan_repay(loan=loan, amount="5000", reference="CASH-1", date=datetime.date(2026, 2, 10))
    before = _paid(loan)
    owed = sum((i.outstanding for i in loan.instalments.all()), D("0"))
    closing = loan_repay(loan=loan, amount=str(owed), reference="CASH-ALL", date=datetime.date(2026, 3, 1)).repayment
    loan.refresh_from_db()
    assert loan.status == LoanStatus.CLOSED
    assert set(Guarantee.objects.values_list("status", flat=True)) == {GuaranteeStatus.RELEASED}

    reversal = repayment_reverse(repayment=closing, by=treasurer, reason="Cheque bounced")

    loan.refresh_from_db()
    assert reversal.loan_reopened and loan.status == LoanStatus.ACTIVE and loan.closed_on is None
    assert set(Guarantee.objects.values_list("status", flat=True)) == {GuaranteeStatus.ACCEPTED}  # held again
    # Exactly as before: only the accrual flags of instalments CASH-ALL reached stay (their interest stays due).
    assert [row[:4] for row in _paid(loan)] == [row[:4] for row in before]
    assert account_balance(code="1100") == loan.principal - sum(
        (i.principal_paid for i in loan.instalments.all()), D("0")
    )
    _clean()


def _checkoff(borrower, amount):
    content = f"membership_number,deposits,loan_repayment\n{borrower.membership_number},5000,{amount}\n".encode()
    with TestCase.captureOnCommitCallbacks(execute=True):
        return checkoff_post(
            content=content,
            file_name="feb.csv",
            period=datetime.date(2026, 2, 1),
            bank_account=bank_account_primary(),
            received_on=datetime.date(2026, 2, 25),
        ).checkoff


def test_a_checkoff_repayment_goes_back_to_unallocated_receipts(borrower, products, staff_user, treasurer, clock_at):
    clock_at(TODAY)
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    bank = bank_account_primary().ledger_account.code
    _checkoff(borrower, "8884.88")
    repayment = LoanRepayment.objects.get(loan=loan)
    bank_before = account_balance(code=bank)
    assert account_balance(code="2300", member=borrower) == D("0.00")

    reversal = repayment_reverse(repayment=repayment, by=treasurer, reason="Employer deducted the wrong member")

    # Dr 1100 7,884.88, Dr 1110 1,000.00 / Cr 2300 [Juma] 8,884.88: the money waits in suspense, the bank is as it was.
    assert _lines(reversal.entry) == [
        ("1100", borrower.pk, D("7884.88"), D("0.00")),
        ("1110", borrower.pk, D("1000.00"), D("0.00")),
        ("2300", borrower.pk, D("0.00"), D("8884.88")),
    ]
    assert account_balance(code="2300", member=borrower) == D("8884.88")
    assert account_balance(code=bank) == bank_before
    assert account_balance(code="1100") == D("100000.00")
    assert all(paid == [D("0.00")] * 3 for _, *paid, _ in _paid(loan))
    _clean()

    # The employer deducted the wrong member: with the loan's part back in 2300, the whole row can now be reversed
    # (before the loan reversal it was refused). Back out of the bank: 5,000.00 + 8,884.88 = 13,884.88.
    deposits = account_balance(code="2000", member=borrower)
    row = CheckoffRow.objects.get()
    payment_reverse(payment=MonthlyContribution.objects.get(entry=row.entry), reason="Wrong member", reversed_by=None)
    assert account_balance(code="2300", member=borrower) == D("0.00")
    assert account_balance(code="2000", member=borrower) == deposits - D("5000.00")
    assert account_balance(code=bank) == bank_before - D("13884.88")
    _clean()


def test_an_mpesa_repayment_goes_back_to_unallocated_and_can_be_allocated_again(
    borrower, products, staff_user, treasurer, clock_at
):
    clock_at(TODAY)
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    paid_at = datetime.datetime(2026, 2, 25, 10, 30, tzinfo=datetime.UTC)
    receipt = mpesa_receipt_post(
        trans_id="QFC1A2B3C6",
        member=borrower,
        purpose=Purpose.LOAN_REPAYMENT,
        amount=D("8884.88"),
        paid_at=paid_at,
        phone="254712345678",
    ).receipt
    repayment = LoanRepayment.objects.get(loan=loan)
    assert repayment.reference == "QFC1A2B3C6" and not unallocated_receipts().exists()

    reversal = repayment_reverse(repayment=repayment, by=treasurer, reason="Paid with the wrong account number")

    assert _lines(reversal.entry) == [
        ("1100", borrower.pk, D("7884.88"), D("0.00")),
        ("1110", borrower.pk, D("1000.00"), D("0.00")),
        ("2300", borrower.pk, D("0.00"), D("8884.88")),
    ]
    assert account_balance(code="2300", member=borrower) == D("8884.88")
    assert list(unallocated_receipts()) == [receipt]  # on the staff's screen again
    _clean()

    # Staff allocate it anew (here to the same loan): a new reference, since QFC1A2B3C6's key is spent.
    receipt.refresh_from_db()
    receipt_allocate(receipt=receipt, member=borrower, split=Split(loan_repayment=D("8884.88")), by=treasurer)
    again = LoanRepayment.objects.get(loan=loan, reversal__isnull=True)
    assert again.reference == "QFC1A2B3C6:r1" and again.principal_part == D("7884.88")
    assert account_balance(code="2300", member=borrower) == D("0.00")
    assert account_balance(code="1100") == D("92115.12")  # 100,000.00 − 7,884.88
    _clean()


def test_a_reason_is_required(borrower, products, staff_user, treasurer):
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    repayment = loan_repay(loan=loan, amount="1000", reference="R-1", date=datetime.date(2026, 2, 10)).repayment
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        repayment_reverse(repayment=repayment, by=treasurer, reason="   ")
    assert "reason" in exc.value.message_dict
    assert not LoanRepaymentReversal.objects.exists()


def test_a_later_overpayment_is_reallocated_and_the_deposits_give_it_back(
    borrower, products, staff_user, treasurer, clock_at
):
    clock_at(TODAY)
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    deposits_before = account_balance(code="2000", member=borrower)
    first = loan_repay(loan=loan, amount="8884.88", reference="SLIP-A", date=datetime.date(2026, 2, 10)).repayment
    rest = sum((i.outstanding for i in loan.instalments.all()), D("0"))
    second = loan_repay(loan=loan, amount=str(rest + D("250.00")), reference="SLIP-B", date=TODAY).repayment
    loan.refresh_from_db()
    assert loan.status == LoanStatus.CLOSED and second.overpayment == D("250.00")
    assert account_balance(code="2000", member=borrower) == deposits_before + D("250.00")

    reversal = repayment_reverse(repayment=first, by=treasurer, reason="Duplicate slip")

    # SLIP-B applied again without SLIP-A's 8,884.88: it is 8,884.88 − 250.00 = 8,634.88 short of the whole
    # balance, so nothing goes to deposits and the loan is open again, owing 8,634.88 of instalment 12's principal
    # (interest is all paid: 1110 = 0).
    loan.refresh_from_db()
    again = LoanRepaymentReversal.objects.get(repayment=second).reapplied_as
    assert again.overpayment == D("0.00") and again.amount == second.amount
    assert reversal.loan_reopened and loan.status == LoanStatus.ACTIVE
    assert account_balance(code="1100") == D("8634.88")
    assert account_balance(code="1110") == D("0.00")
    assert account_balance(code="2000", member=borrower) == deposits_before
    assert [i.number for i in loan.instalments.all() if i.outstanding > 0] == [12]
    _clean()


def test_reversing_the_middle_one_of_three_leaves_the_first_alone(borrower, products, staff_user, treasurer, clock_at):
    clock_at(TODAY)
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    first = loan_repay(loan=loan, amount="8884.88", reference="M-1", date=datetime.date(2026, 2, 10)).repayment
    middle = loan_repay(loan=loan, amount="500.00", reference="M-2", date=datetime.date(2026, 3, 1)).repayment
    last = loan_repay(loan=loan, amount="8384.88", reference="M-3", date=datetime.date(2026, 3, 10)).repayment
    # Instalment 2 (921.15 interest, 7,963.73 principal): M-2 paid 500.00 interest, M-3 421.15 interest and
    # 7,963.73 principal.
    assert (last.interest_part, last.principal_part) == (D("421.15"), D("7963.73"))

    repayment_reverse(repayment=middle, by=treasurer, reason="Wrong amount keyed")

    assert not LoanRepaymentReversal.objects.filter(repayment=first).exists()  # before it: untouched
    again = LoanRepaymentReversal.objects.get(repayment=last).reapplied_as
    # M-3's 8,384.88 now pays instalment 2's interest 921.15 and 7,463.73 of its principal (8,384.88 − 921.15).
    assert (again.interest_part, again.principal_part) == (D("921.15"), D("7463.73"))
    assert _paid(loan)[:2] == [
        (1, D("0.00"), D("1000.00"), D("7884.88"), True),
        (2, D("0.00"), D("921.15"), D("7463.73"), True),
    ]
    # 1100 = 100,000.00 − 7,884.88 − 7,463.73 = 84,651.39
    assert account_balance(code="1100") == D("84651.39")
    assert account_balance(code="1110") == D("0.00")
    _clean()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_reversals_at_once_reverse_once(borrower, products, staff_user, treasurer):
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    loan_repay(loan=loan, amount="8884.88", reference="RACE-1", date=datetime.date(2026, 2, 10))
    repayment = LoanRepayment.objects.get()

    def reverse_it():
        return repayment_reverse(repayment=repayment, by=treasurer, reason="Clicked twice").pk

    results, errors = run_together([reverse_it] * 3)
    assert len(results) == 1 and len(errors) == 2
    assert all(isinstance(error, RepaymentAlreadyReversed) for error in errors)
    assert account_balance(code="1100") == D("100000.00")  # 92,115.12 + 7,884.88, added back once
    _clean()
