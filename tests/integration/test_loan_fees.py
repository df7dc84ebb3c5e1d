"""Issue 16, fees and charges per product: the application fee beside the processing and insurance fees, each to its
own income account in the disbursement entry; the late-payment penalty fixed or a percentage of the arrears, with
grace days, charged once a month by the nightly job; every fee shown before the member applies. To the cent."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from portal.finance.ledger.models import JournalEntry
from portal.finance.ledger.selectors import account_balance
from portal.loans.invariants import loan_book_problems
from portal.loans.jobs import loans_daily
from portal.loans.models import LoanProduct, PenaltyKind
from portal.loans.services import application_submit
from tests.conftest import sign_in_verified
from tests.factories import loan_disbursed, loan_products

pytestmark = pytest.mark.django_db
D = Decimal
CALCULATOR = "/savings-and-loans/loan-calculator/"
FEE_ACCOUNTS = {"1100", "4100", "4110", "4130"}


def _lines(loan) -> tuple[dict, dict, list]:
    """The disbursement entry's debits and credits by account code (fee and loan accounts), and the other credits."""
    debits, credits, others = {}, {}, []
    for line in loan.disbursement_entry.lines.select_related("account"):
        code = line.account.code
        if code in FEE_ACCOUNTS:
            if line.debit:
                debits[code] = line.debit
            if line.credit:
                credits[code] = line.credit
        else:
            others.append((code, line.debit, line.credit))
    return debits, credits, others


def _ledger_clean():
    assert loan_book_problems() == []
    call_command("ledger_check")  # raises on any problem


def test_deducted_fees_each_to_its_own_account(borrower, products, staff_user):
    LoanProduct.objects.filter(slug="development").update(application_fee=D("500.00"))
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)  # 100,000, 1 % + 0.5 %
    debits, credits, others = _lines(loan)
    # processing 1 % × 100,000 = 1,000.00; insurance 0.5 % = 500.00; application 500.00 (fixed);
    # paid out 100,000 − 1,000 − 500 − 500 = 98,000.00
    assert debits == {"1100": D("100000.00")}
    assert credits == {"4100": D("1000.00"), "4110": D("500.00"), "4130": D("500.00")}
    assert [(debit, credit) for _, debit, credit in others] == [(D("0.00"), D("98000.00"))]  # the bank
    assert (loan.principal, loan.amount_paid_out, loan.application_fee) == (
        D("100000.00"),
        D("98000.00"),
        D("500.00"),
    )
    assert account_balance(code="4130") == D("500.00")
    assert [line.loan_id for line in loan.disbursement_entry.lines.filter(account__code="4130")] == [loan.pk]
    _ledger_clean()


def test_capitalised_fees_each_to_its_own_account(borrower, products, staff_user):
    LoanProduct.objects.filter(slug="emergency").update(application_fee=D("300.00"))
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user, slug="emergency", amount="20000")
    debits, credits, others = _lines(loan)
    # 1 % × 20,000 = 200.00; 0.5 % = 100.00; application 300.00; owed 20,000 + 600 = 20,600.00, paid out 20,000.00
    assert debits == {"1100": D("20600.00")}
    assert credits == {"4100": D("200.00"), "4110": D("100.00"), "4130": D("300.00")}
    assert [credit for _, _, credit in others] == [D("20000.00")]
    assert loan.principal == D("20600.00") and loan.amount_paid_out == D("20000.00")
    _ledger_clean()


def test_no_application_fee_posts_no_4130_line(borrower, products, staff_user):
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    _, credits, _ = _lines(loan)
    assert credits == {"4100": D("1000.00"), "4110": D("500.00")} and loan.application_fee == D("0.00")


# --- the late-payment penalty --------------------------------------------------------------------------------------
# The development loan: 100,000 at 12 % over 12 months disbursed 15 Jan 2026; instalments of 8,884.88 due on the
# 15th from 15 Feb 2026.


def _penalty_keys(loan) -> list[str]:
    return sorted(
        JournalEntry.objects.filter(idempotency_key__startswith=f"penalty:{loan.pk}:").values_list(
            "idempotency_key", flat=True
        )
    )


def test_fixed_penalty_after_the_grace_days(borrower, products, staff_user):
    LoanProduct.objects.filter(slug="development").update(
        penalty_kind=PenaltyKind.FIXED, penalty_fixed_amount=D("250.00"), penalty_grace_days=5
    )
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    # 20 Feb: instalment 1 is 5 days overdue, not more than the 5 days' grace: nothing.
    assert loans_daily(today=datetime.date(2026, 2, 20)).penalties_posted == 0
    # 21 Feb: 6 days overdue: KES 250.00 fixed, once.
    assert loans_daily(today=datetime.date(2026, 2, 21)).penalties_posted == 1
    assert loans_daily(today=datetime.date(2026, 2, 21)).penalties_posted == 0  # the same night again
    assert loans_daily(today=datetime.date(2026, 2, 28)).penalties_posted == 0  # once a month
    assert loan.instalments.get(number=1).penalty == D("250.00")
    assert _penalty_keys(loan) == [f"penalty:{loan.pk}:1:2026-02"]
    # 16 Mar: March's charge on instalment 1 (29 days overdue); instalment 2 (due 15 Mar) is 1 day overdue: not yet.
    assert loans_daily(today=datetime.date(2026, 3, 16)).penalties_posted == 1
    # 21 Mar: instalment 2 is 6 days overdue.
    assert loans_daily(today=datetime.date(2026, 3, 21)).penalties_posted == 1
    assert [i.penalty for i in loan.instalments.filter(number__lte=3)] == [D("500.00"), D("250.00"), D("0.00")]
    # 250 (Feb, #1) + 250 (Mar, #1) + 250 (Mar, #2) = 750.00 receivable and earned
    assert account_balance(code="1120") == account_balance(code="4200") == D("750.00")
    assert _penalty_keys(loan) == sorted(
        [f"penalty:{loan.pk}:1:2026-02", f"penalty:{loan.pk}:1:2026-03", f"penalty:{loan.pk}:2:2026-03"]
    )
    _ledger_clean()


def test_percent_penalty_after_the_grace_days(borrower, products, staff_user):
    LoanProduct.objects.filter(slug="development").update(penalty_kind=PenaltyKind.PERCENT, penalty_grace_days=5)
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    assert loans_daily(today=datetime.date(2026, 2, 20)).penalties_posted == 0  # day 5 of 5: grace
    assert loans_daily(today=datetime.date(2026, 2, 21)).penalties_posted == 1  # day 6
    # 1 % of the overdue 8,884.88 = 88.8488 → 88.85
    assert loan.instalments.get(number=1).penalty == D("88.85")
    assert account_balance(code="4200") == D("88.85")
    _ledger_clean()


def test_without_grace_days_the_penalty_starts_the_day_after_due_as_before(borrower, products, staff_user):
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    assert loans_daily(today=datetime.date(2026, 2, 15)).penalties_posted == 0  # due today: not overdue
    assert loans_daily(today=datetime.date(2026, 2, 16)).penalties_posted == 1
    assert loan.instalments.get(number=1).penalty == D("88.85")
    _ledger_clean()


# --- shown before the member applies -------------------------------------------------------------------------------


def _cell(html: str, css: str) -> str:
    return re.search(rf'class="[^"]*{css}[^"]*">([^<]+)<', html)[1]


def test_the_public_calculator_lists_every_fee_and_the_net_payout(client, demo_site):
    products = loan_products()
    LoanProduct.objects.filter(slug="development").update(
        application_fee=D("500.00"),
        penalty_kind=PenaltyKind.FIXED,
        penalty_fixed_amount=D("250.00"),
        penalty_grace_days=5,
    )
    response = client.get(CALCULATOR, {"product": products["development"].pk, "amount": "100000", "months": "12"})
    html = response.content.decode()
    assert _cell(html, "calc-processing") == "KES 1,000.00"
    assert _cell(html, "calc-insurance") == "KES 500.00"
    assert _cell(html, "calc-application") == "KES 500.00"
    assert _cell(html, "calc-fees-total") == "KES 2,000.00"  # 1,000 + 500 + 500
    assert _cell(html, "calc-paid-out") == "KES 98,000.00"  # 100,000 − 2,000
    assert _cell(html, "calc-net") == "KES 98,000.00"
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "application fee KES 500.00, charged when the loan is paid out" in text
    assert "KES 250.00 a month for each overdue instalment, after 5 days' grace" in text
    assert "1 % a month of what is overdue" in text  # the other products keep the percentage


def test_the_application_form_lists_every_fee_and_the_net_payout(client, borrower, products):
    LoanProduct.objects.filter(slug="development").update(application_fee=D("500.00"))
    sign_in_verified(client, borrower.user)
    page = client.get("/portal/loans/apply/").content.decode()
    assert "application fee KES 500.00, charged when the loan is paid out" in page
    # Sent back with a mistake, the form shows the fees of the loan as filled in, and what is paid out.
    data = {"product": products["development"].pk, "amount": "100000", "term_months": "12", "purpose": "Roof"}
    bad = client.post("/portal/loans/apply/", {**data, "total_deductions": "-5"})
    html = bad.content.decode()
    assert bad.status_code == 400
    assert _cell(html, "calc-application") == "KES 500.00"
    assert _cell(html, "calc-net") == "KES 98,000.00"


def test_fees_that_would_take_the_whole_amount_are_refused(borrower, products):
    LoanProduct.objects.filter(slug="development").update(application_fee=D("9850.00"), min_amount=D("1000.00"))
    product = LoanProduct.objects.get(slug="development")
    # 10,000: 1 % = 100.00, 0.5 % = 50.00, application 9,850.00: 10,000.00 of fees, nothing paid out
    with pytest.raises(ValidationError) as caught:
        application_submit(member=borrower, product=product, amount="10000", term_months=12, purpose="Roof")
    assert caught.value.message_dict["amount"] == ["The fees (KES 10,000.00) would take the whole amount; borrow more."]
