"""L2 eligibility, L3 application, L5 disbursement, L7 repayments: the money engine of loans."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from portal.finance.ledger.selectors import account_balance, trial_balance
from portal.loans.eligibility import loan_eligibility
from portal.loans.models import ApplicationStatus, Loan, LoanStatus
from portal.loans.services import (
    LoanStateError,
    application_approve,
    application_reject,
    application_submit,
    loan_disburse,
    loan_repay,
)
from portal.members import roles
from tests.factories import loan_disbursed

pytestmark = pytest.mark.django_db
D = Decimal


def test_eligibility_explains_the_limit_with_numbers(borrower, products):
    result = loan_eligibility(member=borrower, product=products["development"])
    assert result.eligible and result.max_amount == D("360000.00")
    limit = next(r for r in result.rules if r.code == "limit")
    assert "KES 120,000.00 × 3 = KES 360,000.00" in limit.detail and "up to KES 360,000.00" in limit.detail


def test_eligibility_names_every_failed_rule(make_member, products):
    newcomer = make_member(join_date=datetime.date.today() - datetime.timedelta(days=30))
    result = loan_eligibility(member=newcomer, product=products["development"])
    assert not result.eligible
    assert {r.code for r in result.failed} >= {"kyc", "membership_age", "share_capital"}


def test_application_validates_and_refuses_above_the_limit(borrower, products):
    with pytest.raises(ValidationError) as exc:
        application_submit(
            member=borrower, product=products["development"], amount="500000", term_months=12, purpose="House"
        )
    assert "amount" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        application_submit(
            member=borrower, product=products["development"], amount="10000.001", term_months=99, purpose=""
        )
    assert {"amount", "term_months", "purpose"} <= set(exc.value.message_dict)


def test_disbursement_posts_fees_deducted_and_stores_the_schedule(borrower, products, staff_user):
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    assert (
        loan.principal == D("100000.00") and loan.processing_fee == D("1000.00") and loan.insurance_fee == D("500.00")
    )
    assert loan.amount_paid_out == D("98500.00")
    assert account_balance(code="1100") == D("100000.00")
    assert account_balance(code="4100") == D("1000.00") and account_balance(code="4110") == D("500.00")
    rows = list(loan.instalments.all())
    assert len(rows) == 12 and rows[0].principal + rows[0].interest == D("8884.88")
    assert rows[0].due_date == datetime.date(2026, 2, 15)
    assert loan.application.status == ApplicationStatus.DISBURSED


def test_capitalised_fees_raise_the_principal(borrower, products, staff_user):
    loan = loan_disbursed(
        borrower=borrower, products=products, staff_user=staff_user, amount="10000", months=6, slug="emergency"
    )
    assert loan.principal == D("10150.00") and loan.amount_paid_out == D("10000.00")


def test_a_second_disbursement_returns_the_same_loan(borrower, products, staff_user):
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    again = loan_disburse(application=loan.application, by=None)
    assert not again.created and again.loan.pk == loan.pk and Loan.objects.count() == 1


def test_only_approved_applications_are_paid_and_nobody_decides_their_own(borrower, products, staff_user):
    application = application_submit(
        member=borrower, product=products["development"], amount="50000", term_months=12, purpose="Car"
    )
    with pytest.raises(LoanStateError):
        loan_disburse(application=application, by=None)
    with pytest.raises(LoanStateError):
        application_approve(application=application, by=borrower.user)
    officer = staff_user(roles.LOANS_OFFICERS)
    with pytest.raises(ValidationError):
        application_reject(application=application, by=officer, reason="")
    application_reject(application=application, by=officer, reason="Income too low")
    with pytest.raises(LoanStateError):
        application_approve(application=application, by=staff_user(roles.CREDIT_COMMITTEE))


def test_repayment_allocates_interest_then_principal_oldest_first(borrower, products, staff_user):
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    result = loan_repay(loan=loan, amount="10000", reference="MP-R1", date=datetime.date(2026, 2, 10))
    repayment = result.repayment
    assert repayment.interest_part == D("1000.00") + D("921.15")  # instalment 1 whole, then instalment 2's interest
    assert repayment.principal_part == D("10000.00") - repayment.interest_part
    first, second = list(loan.instalments.all())[:2]
    assert first.outstanding == 0 and second.interest_paid == second.interest
    assert account_balance(code="1110") == D("0.00")  # interest fell due as it was paid
    assert account_balance(code="4000") == D("1921.15")
    assert account_balance(code="1100") == D("100000.00") - repayment.principal_part
    again = loan_repay(loan=loan, amount="10000", reference="MP-R1")
    assert not again.created
    with pytest.raises(ValidationError):
        loan_repay(loan=loan, amount="500", reference="MP-R1")


def test_paying_everything_closes_the_loan_and_an_overpayment_goes_to_deposits(borrower, products, staff_user):
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user, amount="10000", months=3)
    deposits_before = account_balance(code="2000", member=borrower)
    total = sum((i.amount for i in loan.instalments.all()), D("0"))
    result = loan_repay(loan=loan, amount=str(total + D("250")), reference="SETTLE")
    loan.refresh_from_db()
    assert loan.status == LoanStatus.CLOSED and result.repayment.overpayment == D("250.00")
    assert account_balance(code="2000", member=borrower) == deposits_before + D("250.00")
    assert account_balance(code="1100") == D("0.00")
    rows = trial_balance()
    assert sum(r.debit for r in rows) == sum(r.credit for r in rows)
    with pytest.raises(LoanStateError):
        loan_repay(loan=loan, amount="100", reference="LATE")


def test_repayment_bad_input_names_the_field(borrower, products, staff_user):
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    for kwargs, field in (
        ({"amount": "-1", "reference": "x"}, "amount"),
        ({"amount": "100", "reference": ""}, "reference"),
    ):
        with pytest.raises(ValidationError) as exc:
            loan_repay(loan=loan, **kwargs)
        assert field in exc.value.message_dict


def test_a_reference_posted_meanwhile_for_another_loan_is_a_field_error(borrower, products, staff_user):
    """Two clerks key the same slip number on two loans at once: each request locks only its own loan, so the
    second finds the key taken in the journal (with other content) — a 400 naming the reference, not a 500."""
    from portal.finance.ledger.models import JournalEntry
    from portal.finance.ledger.services import Line, ledger_post

    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    ledger_post(  # what the other request posted between our check and our posting
        memo="Loan repayment (another loan)",
        lines=[Line("1010", debit=Decimal("700")), Line("2000", credit=Decimal("700"), member_id=borrower.pk)],
        idempotency_key="repayment:SLIP-9",
    )
    with pytest.raises(ValidationError) as exc:
        loan_repay(loan=loan, amount="700", reference="SLIP-9")
    assert "already used for another payment" in str(exc.value.message_dict["reference"])
    assert JournalEntry.objects.filter(idempotency_key="repayment:SLIP-9").count() == 1
    assert not loan.repayments.exists()


def test_early_settlement_waives_interest_not_yet_due_and_closes(borrower, products, staff_user):
    from portal.loans.selectors import settlement_quote
    from portal.loans.services import loan_settle

    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    quote = settlement_quote(loan=loan, as_of=datetime.date(2026, 2, 20))  # one instalment due
    assert quote.principal == D("100000.00") and quote.interest == D("1000.00") and quote.total == D("101000.00")
    with pytest.raises(ValidationError):
        loan_settle(loan=loan, amount="100000", reference="S1", date=datetime.date(2026, 2, 20))
    loan_settle(loan=loan, amount="101000", reference="S1", date=datetime.date(2026, 2, 20))
    loan.refresh_from_db()
    assert loan.status == LoanStatus.CLOSED
    assert account_balance(code="1100") == D("0.00") and account_balance(code="4000") == D("1000.00")


def test_due_payments_and_reminders_once(borrower, products, staff_user):
    from django.core import mail
    from django.test import TestCase

    from portal.loans.reminders import payment_reminders_send
    from portal.loans.selectors import due_payments

    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    assert [i.number for i in due_payments(today=datetime.date(2026, 2, 13), days_ahead=3)] == [1]
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert payment_reminders_send(today=datetime.date(2026, 2, 13)) == 1
        assert payment_reminders_send(today=datetime.date(2026, 2, 14)) == 0
        assert payment_reminders_send(today=datetime.date(2026, 2, 20)) == 1  # now overdue
    assert len(mail.outbox) == 2 and "was due on 15 February 2026" in mail.outbox[1].body
    assert borrower.user.notifications.filter(subject__contains="instalment").count() == 2
    assert loan.instalments.get(number=1).reminders.count() == 2


def test_ledger_check_ties_the_loan_book_to_1100(borrower, products, staff_user):
    from django.core.management import CommandError, call_command

    from portal.loans.models import LoanInstalment

    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    loan_repay(loan=loan, amount="20000", reference="LC1")
    call_command("ledger_check")
    LoanInstalment.objects.filter(loan=loan, number=12).update(principal_paid=D("1.00"))  # a book edited by hand
    with pytest.raises(CommandError):
        call_command("ledger_check")
