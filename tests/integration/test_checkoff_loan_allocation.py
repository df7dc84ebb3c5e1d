"""Check-off loan repayments move from 2300 Unallocated receipts to the member's loans once the file is posted:
what is due first (oldest loan first), then ahead of schedule, beyond every balance to deposits; a member with no
loan keeps the money in 2300; each row once; an allocated row is not reversed behind the loan's back."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import TestCase

from portal.contributions.checkoff import checkoff_post
from portal.contributions.models import CheckoffRow, MonthlyContribution
from portal.contributions.services import payment_reverse
from portal.finance.banking.services import bank_account_primary
from portal.finance.ledger.selectors import account_balance
from portal.loans.allocation import checkoff_repayments_allocate
from portal.loans.jobs import loans_daily
from portal.loans.models import LoanRepayment
from portal.loans.services import application_approve, application_submit, loan_disburse
from tests.factories import loan_disbursed

pytestmark = pytest.mark.django_db
D = Decimal
RECEIVED = datetime.date(2026, 2, 25)  # the first instalment (8,884.88) fell due on 15 February


def _post(rows, name="feb.csv"):
    content = ("membership_number,deposits,loan_repayment\n" + "".join(f"{r}\n" for r in rows)).encode()
    with TestCase.captureOnCommitCallbacks(execute=True):
        return checkoff_post(
            content=content,
            file_name=name,
            period=datetime.date(2026, 2, 1),
            bank_account=bank_account_primary(),
            received_on=RECEIVED,
        ).checkoff


def test_the_repayment_moves_from_suspense_to_the_loan(borrower, products, staff_user):
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    checkoff = _post([f"{borrower.membership_number},5000,8884.88"])
    assert account_balance(code="2300", member=borrower) == D("0.00")
    first = loan.instalments.get(number=1)
    assert first.paid == D("8884.88") and first.interest_paid == D("1000.00")
    repayment = LoanRepayment.objects.get(loan=loan)
    assert repayment.reference == f"checkoff:{checkoff.sha256[:16]}:1" and repayment.date == RECEIVED
    debit = repayment.entry.lines.get(debit__gt=0)
    assert debit.account.code == "2300" and debit.member_id == borrower.pk
    assert CheckoffRow.objects.get().loan_allocated_at is not None
    call_command("ledger_check")

    again = checkoff_repayments_allocate()
    assert again.rows == 0 and LoanRepayment.objects.count() == 1  # each row once
    row_entry = CheckoffRow.objects.get().entry
    with pytest.raises(ValidationError) as exc:
        payment_reverse(payment=MonthlyContribution.objects.get(entry=row_entry), reason="Wrong", reversed_by=None)
    assert "loan" in exc.value.messages[0]


def test_two_loans_get_what_is_due_first_then_the_oldest_gets_the_rest(borrower, products, staff_user):
    product = products["development"]
    first = application_submit(member=borrower, product=product, amount="60000", term_months=12, purpose="Cows")
    second = application_submit(member=borrower, product=product, amount="30000", term_months=6, purpose="Shed")
    for application in (first, second):
        application_approve(application=application, by=None)
    older = loan_disburse(application=first, by=None, date=datetime.date(2026, 1, 15)).loan
    newer = loan_disburse(application=second, by=None, date=datetime.date(2026, 1, 20)).loan
    due_older = older.instalments.get(number=1).amount
    due_newer = newer.instalments.get(number=1).amount
    _post([f"{borrower.membership_number},5000,{due_older + due_newer + D('1000.00')}"])
    older.refresh_from_db()
    newer.refresh_from_db()
    assert newer.instalments.get(number=1).outstanding == 0 and newer.instalments.get(number=2).paid == 0
    assert older.instalments.get(number=1).outstanding == 0
    assert older.instalments.get(number=2).paid == D("1000.00")  # ahead of schedule, on the oldest loan
    assert account_balance(code="2300", member=borrower) == D("0.00")
    call_command("ledger_check")


def test_beyond_every_balance_goes_to_deposits(borrower, products, staff_user):
    loan = loan_disbursed(
        borrower=borrower, products=products, staff_user=staff_user, amount="10000", months=1, slug="development"
    )
    owed = loan.instalments.get().amount
    deposits_before = account_balance(code="2000", member=borrower)
    _post([f"{borrower.membership_number},5000,{owed + D('250.00')}"])
    loan.refresh_from_db()
    assert loan.status == "closed"
    assert account_balance(code="2000", member=borrower) == deposits_before + D("5000.00") + D("250.00")
    assert account_balance(code="2300", member=borrower) == D("0.00")
    call_command("ledger_check")  # the cached savings summary follows the ledger


def test_no_loan_keeps_the_money_in_suspense_until_there_is_one(borrower, make_member, products):
    other = make_member("saver@example.com")
    _post([f"{other.membership_number},5000,3000"])
    assert account_balance(code="2300", member=other) == D("3000.00")
    assert CheckoffRow.objects.get().loan_allocated_at is None
    assert checkoff_repayments_allocate().waiting == 1
    assert loans_daily(today=RECEIVED).checkoff_rows_allocated == 0
    # The office reverses the row (the employer deducted by mistake); it is then never allocated.
    payment_reverse(
        payment=MonthlyContribution.objects.get(member=other), reason="Deducted by mistake", reversed_by=None
    )
    assert account_balance(code="2300", member=other) == D("0.00")
    assert checkoff_repayments_allocate().waiting == 0
