"""Early settlement (issue 16): the quote by the product rule, settling over the API (staff who record repayments),
member isolation, and the postings to the cent.

The loan throughout: Development, KES 100,000 over 12 months at 12 % a year (1 % a month), annuity, disbursed
15 Jan 2026, fees deducted. Its schedule: instalment 1 (15 Feb) 7,884.88 principal + 1,000.00 interest
(100,000 × 1 %); instalment 2 (15 Mar) 7,963.73 + 921.15 (92,115.12 × 1 % = 921.1512); total interest 6,618.53."""

import datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from portal.finance.banking.models import BankAccount
from portal.finance.ledger.models import JournalEntry
from portal.finance.ledger.selectors import account_balance
from portal.loans.invariants import loan_book_problems
from portal.loans.models import GuaranteeStatus, LoanProduct, LoanStatus
from portal.loans.services import application_approve, guarantee_accept, loan_disburse, loan_repay
from portal.members import roles
from tests.conftest import sign_in_verified
from tests.factories import application_with_guarantors, loan_disbursed

pytestmark = pytest.mark.django_db
D = Decimal
DAY = datetime.date(2026, 2, 20)


@pytest.fixture
def loan(borrower, products, staff_user, clock_at):
    """The loan, with instalment 1 paid on its day (8,884.88 = 7,884.88 + 1,000.00); today is 20 Feb 2026."""
    clock_at(DAY)
    made = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    loan_repay(loan=made, amount="8884.88", reference="I1", date=datetime.date(2026, 2, 15))
    return made


@pytest.fixture
def staff(staff_user):
    """staff_user, reusing the user of a role already made (loan_disbursed makes the treasurer)."""
    from portal.members.models import User

    def _get(role):
        slug = role.lower().replace(" ", "-")
        return User.objects.filter(email=f"{slug}@sacco.example").first() or staff_user(role)

    return _get


def _client(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_the_member_reads_the_quote_of_their_own_loan_only(loan, borrower, other_member):
    body = _client(borrower.user).get(f"/api/loans/loans/{loan.pk}/settlement-quote/").json()
    # principal 100,000.00 − 7,884.88 = 92,115.12; no interest due (instalment 1 paid); waived: 6,618.53 − 1,000.00
    assert body == {
        "amount": "92115.12",
        "principal": "92115.12",
        "interest": "0.00",
        "penalty": "0.00",
        "waived_interest": "5618.53",
        "as_of": "2026-02-20",
        "valid_until": "2026-03-14",  # the day before instalment 2 falls due
    }
    assert _client(other_member.user).get(f"/api/loans/loans/{loan.pk}/settlement-quote/").status_code == 404
    # The member does not post money: settling is for the office.
    refused = _client(borrower.user).post(
        f"/api/loans/loans/{loan.pk}/settle/", {"amount": "92115.12", "reference": "S1"}, format="json"
    )
    assert refused.status_code == 403


def test_staff_settle_once_and_the_loan_closes_with_interest_waived(loan, staff):
    clerk = _client(staff(roles.CLERKS))
    url = f"/api/loans/loans/{loan.pk}/settle/"
    for bad in ("92115.11", "abc", "1e30", "NaN", "-1", 92115.123, None, True):
        answer = clerk.post(url, {"amount": bad, "reference": "S1"}, format="json")
        assert answer.status_code == 400 and "amount" in answer.json(), bad
    assert "is not enough" in str(clerk.post(url, {"amount": "92115.11", "reference": "S1"}, format="json").json())
    missing = clerk.post(url, {"amount": "92115.12", "reference": ""}, format="json")
    assert missing.status_code == 400 and "reference" in missing.json()
    assert clerk.post(url, {"amount": "92115.12"}, format="json").status_code == 400

    done = clerk.post(url, {"amount": "92115.12", "reference": "S1"}, format="json")
    assert done.status_code == 201, done.content
    assert done.json()["principal"] == "92115.12" and done.json()["interest"] == "0.00"
    assert done.json()["loan_status"] == LoanStatus.CLOSED
    again = clerk.post(url, {"amount": "92115.12", "reference": "S1"}, format="json")
    assert again.status_code == 200 and again.json()["created"] is False and again.json()["id"] == done.json()["id"]
    assert clerk.post(url, {"amount": "92115.12", "reference": "S2"}, format="json").status_code == 409
    assert clerk.get(f"/api/loans/loans/{loan.pk}/settlement-quote/").status_code == 409

    loan.refresh_from_db()
    assert loan.status == LoanStatus.CLOSED and loan.closed_on == DAY
    # 1100: 100,000.00 − 7,884.88 − 92,115.12 = 0; 4000 holds only instalment 1's 1,000.00 (nothing else recognised)
    assert account_balance(code="1100") == D("0.00") and account_balance(code="1110") == D("0.00")
    assert account_balance(code="4000") == D("1000.00")
    assert JournalEntry.objects.filter(idempotency_key="repayment:S1").count() == 1
    assert loan_book_problems() == []


def test_the_product_may_still_charge_a_month_and_the_rest_goes_to_deposits(loan, borrower, staff):
    LoanProduct.objects.filter(pk=loan.product_id).update(settlement_interest_months=1)
    quote = _client(borrower.user).get(f"/api/loans/loans/{loan.pk}/settlement-quote/").json()
    # interest: instalment 2's 921.15; amount 92,115.12 + 921.15 = 93,036.27; waived 5,618.53 − 921.15 = 4,697.38
    assert (quote["interest"], quote["amount"], quote["waived_interest"]) == ("921.15", "93036.27", "4697.38")
    treasurer = _client(staff(roles.TREASURER))
    url = f"/api/loans/loans/{loan.pk}/settle/"
    assert treasurer.post(url, {"amount": "93036.26", "reference": "S9"}, format="json").status_code == 400
    done = treasurer.post(url, {"amount": "93100.00", "reference": "S9"}, format="json").json()
    # 93,100.00 − 93,036.27 = 63.73 beyond the balance: to deposits (120,000.00 + 63.73)
    assert (done["interest"], done["principal"], done["overpayment"]) == ("921.15", "92115.12", "63.73")
    assert account_balance(code="2000", member=borrower) == D("120063.73")
    assert account_balance(code="4000") == D("1921.15")  # 1,000.00 + 921.15
    assert account_balance(code="1100") == D("0.00") and account_balance(code="1110") == D("0.00")
    assert loan_book_problems() == []


def test_interest_already_recognised_is_reversed_when_waived(borrower, products, staff_user, clock_at, staff):
    """9,000.00 on 15 Feb pays instalment 1 (8,884.88) and 115.12 of instalment 2's interest, which recognises all
    of it (Dr 1110 921.15). Settling then waives 921.15 − 115.12 = 806.03 of it: Dr 4000 / Cr 1110 806.03."""
    clock_at(DAY)
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    loan_repay(loan=loan, amount="9000.00", reference="P1", date=datetime.date(2026, 2, 15))
    clerk = _client(staff(roles.CLERKS))
    quote = clerk.get(f"/api/loans/loans/{loan.pk}/settlement-quote/").json()
    # waived: 5,618.53 − 115.12 = 5,503.41; principal 92,115.12 (instalment 2 principal untouched)
    assert (quote["amount"], quote["interest"], quote["waived_interest"]) == ("92115.12", "0.00", "5503.41")
    assert (
        clerk.post(
            f"/api/loans/loans/{loan.pk}/settle/", {"amount": "92115.12", "reference": "S3"}, format="json"
        ).status_code
        == 201
    )
    waiver = JournalEntry.objects.get(idempotency_key=f"settlement-waiver:{loan.pk}:S3")
    assert sorted((line.account.code, line.debit, line.credit) for line in waiver.lines.all()) == [
        ("1110", D("0.00"), D("806.03")),
        ("4000", D("806.03"), D("0.00")),
    ]
    # 4000: 1,000.00 + 921.15 − 806.03 = 1,115.12 = the interest actually paid (1,000.00 + 115.12)
    assert account_balance(code="4000") == D("1115.12") and account_balance(code="1110") == D("0.00")
    assert loan_book_problems() == []


def test_an_overdue_loan_is_quoted_for_the_day(borrower, products, staff_user, clock_at, staff):
    clock_at(DAY)
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    body = _client(staff(roles.CLERKS)).get(f"/api/loans/loans/{loan.pk}/settlement-quote/").json()
    # instalment 1 (due 15 Feb) unpaid: its interest 1,000.00 is charged; 100,000.00 + 1,000.00
    assert (body["amount"], body["interest"], body["valid_until"]) == ("101000.00", "1000.00", "2026-02-20")


def test_settling_releases_the_guarantors(borrower, products, people, staff_user, clock_at, staff):
    """KES 150,000 on KES 120,000 of deposits: 30,000 above them, covered by two guarantors."""
    clock_at(DAY)
    application = application_with_guarantors(
        borrower=borrower,
        product=products["development"],
        amount="150000",
        guarantors=[(people["akinyi"], "15000", "A"), (people["baraka"], "15000", "B")],
    )
    for guarantee in application.guarantees.all():
        guarantee_accept(guarantee=guarantee, by_member=guarantee.guarantor)
    application_approve(application=application, by=staff(roles.LOANS_OFFICERS))
    loan = loan_disburse(application=application, by=staff(roles.TREASURER), date=datetime.date(2026, 2, 1)).loan
    # Nothing due before 1 Mar: 150,000.00 principal only, every shilling of interest waived.
    answer = _client(staff(roles.ADMINISTRATORS)).post(
        f"/api/loans/loans/{loan.pk}/settle/", {"amount": "150000.00", "reference": "S4"}, format="json"
    )
    assert answer.status_code == 201, answer.content
    assert set(application.guarantees.values_list("status", flat=True)) == {GuaranteeStatus.RELEASED}
    assert loan_book_problems() == []


def test_the_portal_loan_page_shows_the_quote_and_how_to_pay(loan, borrower, client):
    sign_in_verified(client, borrower.user)
    page = client.get(f"/portal/loans/{loan.pk}/").content.decode()
    assert "Settle today: KES 92,115.12" in page and "you save KES 5,618.53 interest" in page
    assert "holds until 14 Mar 2026" in page and "record it as a settlement" in page


def test_the_admin_shows_the_quote_and_settles(loan, staff, client):
    clerk = staff(roles.CLERKS)
    sign_in_verified(client, clerk)
    url = f"/admin/loans/loans/{loan.pk}/settle/"
    page = client.get(url).content.decode()
    assert "KES 92,115.12" in page and "KES 5,618.53" in page and "14 Mar 2026" in page
    bank = str(BankAccount.objects.filter(active=True).first().pk)
    short = client.post(url, {"amount": "92,000.00", "reference": "A1", "bank_account": bank})
    assert short.status_code == 200 and "is not enough" in short.content.decode()
    done = client.post(url, {"amount": "92,115.12", "reference": "A1", "bank_account": bank})
    assert done.status_code == 302
    loan.refresh_from_db()
    assert loan.status == LoanStatus.CLOSED and loan_book_problems() == []
    client.force_login(staff(roles.LOANS_OFFICERS))  # reads loans, records no repayments
    sign_in_verified(client, staff(roles.LOANS_OFFICERS))
    assert client.get(url).status_code in (302, 403)
