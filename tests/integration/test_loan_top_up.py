"""Top-up / refinancing (issue 16): eligibility leaves out the loan being cleared, the payout is one balanced entry
clearing the old loan, the old loan closes with its guarantors released, the new loan's guarantors hold.

Juma (the borrower) has KES 120,000 deposits (× 3 = 360,000). His old loan: Development, KES 150,000 over 12 months
at 1 % a month, annuity, disbursed 15 Jan 2026, guaranteed by Akinyi and Baraka (15,000 each: 150,000 − 120,000 =
30,000 above his deposits). Instalment 1 (15 Feb) is 11,827.32 principal + 1,500.00 interest (150,000 × 1 %), paid
on the day, leaving 150,000.00 − 11,827.32 = 138,172.68 principal; instalment 2 (15 Mar) carries 1,381.73 interest
(138,172.68 × 1 % = 1,381.7268). Today is 20 Feb 2026."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from rest_framework.test import APIClient

from portal.finance.ledger.models import JournalEntry
from portal.finance.ledger.selectors import account_balance
from portal.loans.eligibility import loan_eligibility
from portal.loans.invariants import loan_book_problems
from portal.loans.models import GuaranteeStatus, LoanProduct, LoanStatus
from portal.loans.services import (
    GuarantorRequest,
    application_approve,
    application_submit,
    guarantee_accept,
    loan_disburse,
    loan_repay,
)
from portal.members import roles
from portal.members.models import User
from tests.conftest import sign_in_verified
from tests.factories import application_with_guarantors

pytestmark = pytest.mark.django_db
D = Decimal
DAY = datetime.date(2026, 2, 20)


@pytest.fixture
def staff(staff_user):
    def _get(role):
        slug = role.lower().replace(" ", "-")
        return User.objects.filter(email=f"{slug}@sacco.example").first() or staff_user(role)

    return _get


def _approved(application, staff):
    for guarantee in application.guarantees.all():
        guarantee_accept(guarantee=guarantee, by_member=guarantee.guarantor)
    application_approve(application=application, by=staff(roles.LOANS_OFFICERS))
    return application


@pytest.fixture
def old(borrower, products, people, staff, clock_at):
    clock_at(DAY)
    LoanProduct.objects.filter(slug="development").update(top_up_fee_percent=D("1"), top_up_fee_fixed=D("500"))
    application = application_with_guarantors(
        borrower=borrower,
        product=products["development"],
        amount="150000",
        guarantors=[(people["akinyi"], "15000", "A"), (people["baraka"], "15000", "B")],
    )
    _approved(application, staff)
    loan = loan_disburse(application=application, by=staff(roles.TREASURER), date=datetime.date(2026, 1, 15)).loan
    loan_repay(loan=loan, amount="13327.32", reference="I1", date=datetime.date(2026, 2, 15))
    return loan


def _top_up(borrower, people, old, amount="200000"):
    """A top-up of `amount` (200,000 by default) clearing the old loan. With the old loan left out, the free deposits
    are 120,000, so 80,000 is covered by Juma and Akinyi, 40,000 each (Akinyi's free deposits: 60,000 − 15,000
    already guaranteed = 45,000)."""
    return application_submit(
        member=borrower,
        product=LoanProduct.objects.get(slug="development"),
        amount=amount,
        term_months=12,
        purpose="Top up",
        guarantors=[GuarantorRequest(people["juma"], "40000", "J"), GuarantorRequest(people["akinyi"], "40000", "A")],
        top_up_of=old,
    )


def test_eligibility_leaves_out_the_loan_being_cleared(old, borrower, products):
    plain = loan_eligibility(member=borrower, product=products["development"])
    topping = loan_eligibility(member=borrower, product=products["development"], clearing=old)
    # 360,000.00 − 138,172.68 outstanding = 221,827.32; the loan being cleared does not count: 360,000.00
    assert plain.max_amount == D("221827.32") and topping.max_amount == D("360000.00")
    with pytest.raises(ValidationError) as exc:  # 300,000 fits only when the old loan is left out
        application_submit(
            member=borrower, product=products["development"], amount="300000", term_months=12, purpose="More"
        )
    assert "amount" in exc.value.message_dict
    api = APIClient()
    api.force_authenticate(borrower.user)
    url = "/api/loans/eligibility/?product=development"
    assert api.get(url).json()["max_amount"] == "221827.32"
    assert api.get(f"{url}&top_up_of={old.pk}").json()["max_amount"] == "360000.00"
    assert api.get(f"{url}&top_up_of=nope").status_code == 400


def test_the_top_up_pays_the_difference_in_one_entry_to_the_cent(old, borrower, people, staff):
    application = _approved(_top_up(borrower, people, old), staff)
    assert application.top_up_of == old and application.cover_needed == D("80000.00")  # 200,000 − 120,000
    new = loan_disburse(application=application, by=staff(roles.TREASURER), date=DAY).loan
    # Fees on 200,000: processing 1 % = 2,000.00, insurance 0.5 % = 1,000.00 (deducted), top-up 500 + 1 % = 2,500.00.
    # The member receives 200,000.00 − 2,000.00 − 1,000.00 − 2,500.00 − 138,172.68 = 56,327.32.
    assert (new.principal, new.top_up_fee, new.amount_paid_out) == (D("200000.00"), D("2500.00"), D("56327.32"))
    entry = JournalEntry.objects.get(idempotency_key=f"disbursement:{application.pk}")
    lines = sorted(
        (line.account.code, str(line.loan_id) if line.loan_id else "", line.debit, line.credit)
        for line in entry.lines.all()
    )
    assert lines == sorted(
        [
            ("1100", str(new.pk), D("200000.00"), D("0.00")),
            ("1100", str(old.pk), D("0.00"), D("138172.68")),
            ("4100", str(new.pk), D("0.00"), D("2000.00")),
            ("4110", str(new.pk), D("0.00"), D("1000.00")),
            ("4120", str(new.pk), D("0.00"), D("2500.00")),
            ("1010", "", D("0.00"), D("56327.32")),
        ]
    )
    old.refresh_from_db()
    assert old.status == LoanStatus.CLOSED and old.closed_on == DAY and old.refinanced_by == new
    assert set(old.application.guarantees.values_list("status", flat=True)) == {GuaranteeStatus.RELEASED}
    assert set(application.guarantees.values_list("status", flat=True)) == {GuaranteeStatus.ACCEPTED}
    # 1100 holds only the new loan; 4000 only the old loan's instalment 1 interest (the rest was waived)
    assert account_balance(code="1100") == D("200000.00") and account_balance(code="1110") == D("0.00")
    assert account_balance(code="4000") == D("1500.00") and account_balance(code="4120") == D("2500.00")
    assert loan_book_problems() == []
    call_command("ledger_check")  # every invariant of the books, not only the loan book's
    again = loan_disburse(application=application, by=staff(roles.TREASURER), date=DAY)
    assert not again.created and again.loan == new


def test_a_month_of_interest_still_charged_is_recognised_then_cleared(old, borrower, people, staff):
    LoanProduct.objects.filter(slug="development").update(settlement_interest_months=1)
    application = _approved(_top_up(borrower, people, old), staff)
    new = loan_disburse(application=application, by=staff(roles.TREASURER), date=DAY).loan
    # Instalment 2's 1,381.73 interest is charged: 56,327.32 − 1,381.73 = 54,945.59 to the member.
    assert new.amount_paid_out == D("54945.59")
    entry = JournalEntry.objects.get(idempotency_key=f"disbursement:{application.pk}")
    assert entry.lines.get(account__code="1110").credit == D("1381.73")
    assert JournalEntry.objects.filter(idempotency_key=f"interest:{old.pk}:2").exists()  # Dr 1110 / Cr 4000 first
    assert account_balance(code="4000") == D("2881.73")  # 1,500.00 + 1,381.73
    assert account_balance(code="1110") == D("0.00") and loan_book_problems() == []


def test_a_top_up_must_leave_the_member_something(old, borrower, people):
    # 140,000: fees 1,400.00 + 700.00 + (500 + 1,400.00) = 4,000.00; 140,000 − 4,000 − 138,172.68 < 0
    with pytest.raises(ValidationError) as exc:
        _top_up(borrower, people, old, amount="140000")
    assert "amount" in exc.value.message_dict and "138,172.68" in str(exc.value.message_dict["amount"])


def test_the_api_takes_only_your_own_active_loan(old, borrower, other_member, people):
    api = APIClient()
    api.force_authenticate(other_member.user)
    body = {"product": "development", "amount": "200000", "term_months": "12", "purpose": "x", "top_up_of": str(old.pk)}
    answer = api.post("/api/loans/applications/", body, format="json")
    assert answer.status_code == 400 and "top_up_of" in answer.json()
    assert api.post("/api/loans/applications/", {**body, "top_up_of": "nope"}, format="json").status_code == 400
    api.force_authenticate(borrower.user)
    body["guarantors"] = [
        {"member": people["juma"].membership_number, "amount": "40000"},
        {"member": people["akinyi"].membership_number, "amount": "40000"},
    ]
    created = api.post("/api/loans/applications/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["top_up_of"] == str(old.pk)
    second = api.post("/api/loans/applications/", body, format="json")  # one open top-up per loan
    assert second.status_code == 400 and "top_up_of" in second.json()


def test_the_portal_form_offers_the_members_own_active_loans(old, borrower, other_member, client):
    sign_in_verified(client, borrower.user)
    page = client.get("/portal/loans/apply/").content.decode()
    assert "Top up a loan I have?" in page and "Development loan of 15 Jan 2026 (KES 150,000.00)" in page
    sign_in_verified(client, other_member.user)
    assert "Top up a loan I have?" not in client.get("/portal/loans/apply/").content.decode()
