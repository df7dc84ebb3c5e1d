"""Issue 16: recovery of a defaulted loan from its guarantors' deposits — notices, maker-checker, the proportional
split to the cent (remainder to the largest guarantee), caps at the guarantee and the guarantor's free deposits,
the postings (Dr 2000 [guarantor] / Cr 1110, 1100 [loan]), the claims, and who sees them.

The loan throughout: Juma borrows KES 120,000 (development, 12 % a year, one month) on 15 January 2026; fees are
deducted, so the principal is 120,000.00 and the one instalment, due 15 February, is 120,000.00 principal +
1,200.00 interest (120,000 × 12 % ÷ 12). Akinyi (deposits 60,000) guarantees 40,000; Baraka (deposits 40,000)
guarantees 30,000. On 20 May 2026 the loan is 94 days past due (15 Feb → 20 May), over the default 90."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import TestCase
from rest_framework.test import APIClient

from portal.contributions.services import summaries_refresh
from portal.finance.banking.services import bank_account_primary
from portal.finance.ledger.selectors import account_balance
from portal.finance.ledger.services import Line, ledger_post
from portal.loans.guarantor_recovery import (
    guarantor_recovery_approve,
    guarantor_recovery_prepare,
    proportional_split,
)
from portal.loans.invariants import loan_book_problems
from portal.loans.jobs import loans_classify
from portal.loans.models import GuaranteeStatus, GuarantorClaim, LoanStatus, RecoveryStatus
from portal.loans.services import LoanStateError, application_approve, guarantee_accept, loan_disburse, loan_repay
from portal.members import roles
from portal.notifications.models import Notification
from tests.conftest import sign_in_verified
from tests.factories import application_with_guarantors

pytestmark = pytest.mark.django_db
D = Decimal
DISBURSED = datetime.date(2026, 1, 15)
DEFAULTED = datetime.date(2026, 5, 20)


@pytest.fixture
def staff(staff_user):
    """One staff user per role, made on first use (staff_user makes a new one, with the same email, each call)."""
    made = {}

    def _get(role):
        if role not in made:
            made[role] = staff_user(role)
        return made[role]

    return _get


def _loan(people, products, staff):
    application = application_with_guarantors(
        borrower=people["juma"],
        product=products["development"],
        amount="120000",
        term_months=1,
        guarantors=[(people["akinyi"], "40000", "Akinyi"), (people["baraka"], "30000", "Baraka")],
    )
    for name in ("akinyi", "baraka"):
        guarantee_accept(guarantee=application.guarantees.get(guarantor=people[name]), by_member=people[name])
    application_approve(application=application, by=staff(roles.LOANS_OFFICERS))
    loan = loan_disburse(application=application, by=staff(roles.TREASURER), date=DISBURSED).loan
    assert loan.principal == D("120000.00")
    instalment = loan.instalments.get()
    assert (instalment.principal, instalment.interest) == (D("120000.00"), D("1200.00"))
    return loan


def _default(loan):
    loans_classify(today=DEFAULTED)
    loan.refresh_from_db()
    assert loan.days_past_due == 94
    return loan


def _lines(repayment):
    return sorted((line.account.code, line.member_id, line.debit, line.credit) for line in repayment.entry.lines.all())


def _clean():
    call_command("ledger_check")
    assert loan_book_problems() == []


def test_the_split_is_proportional_to_the_cent_with_the_remainder_to_the_largest():
    # 10,000 × 40/70 = 5,714.2857… → 5,714.28; 10,000 × 30/70 = 4,285.7142… → 4,285.71; Σ 9,999.99: the cent
    # left goes to the largest guarantee (40,000) → 5,714.29.
    assert proportional_split(D("10000.00"), [D("40000.00"), D("30000.00")]) == [D("5714.29"), D("4285.71")]
    # 100.00 in three equal parts: 33.33 each, Σ 99.99; equals: the first of them takes the cent.
    assert proportional_split(D("100.00"), [D("5"), D("5"), D("5")]) == [D("33.34"), D("33.33"), D("33.33")]
    # The largest is the second: 0.01 × 1/3 → 0.00, × 2/3 → 0.00; the cent goes to the second.
    assert proportional_split(D("0.01"), [D("1"), D("2")]) == [D("0.00"), D("0.01")]
    assert proportional_split(D("0.00"), [D("1"), D("2")]) == [D("0.00"), D("0.00")]


def test_guarantors_clear_what_is_left_in_proportion_and_the_loan_closes(people, products, staff):
    loan = _loan(people, products, staff)
    # Paid before the due date: interest 1,200.00 first, then principal 110,000.00; 10,000.00 principal is left.
    loan_repay(loan=loan, amount="111200.00", reference="BANK-1", date=datetime.date(2026, 2, 10))
    _default(loan)
    treasurer, admin = staff(roles.TREASURER), staff(roles.ADMINISTRATORS)
    with TestCase.captureOnCommitCallbacks(execute=True):
        recovery = guarantor_recovery_prepare(loan=loan, by=treasurer, today=DEFAULTED)
    assert recovery.status == RecoveryStatus.PREPARED and recovery.notices_sent == 2
    notice = Notification.objects.filter(user=people["akinyi"].user).order_by("-created_at").first()
    assert "KES 5,714.29" in notice.body and "94 days" in notice.body  # her share, named in the first notice

    with pytest.raises(LoanStateError, match="Another person"):
        guarantor_recovery_approve(recovery=recovery, by=treasurer, date=DEFAULTED)  # maker ≠ checker
    guarantor_recovery_approve(recovery=recovery, by=admin, date=DEFAULTED)

    # Target: 10,000.00 principal + 0 interest due (paid) + 0 penalties. Split 5,714.29 / 4,285.71 (see above),
    # neither capped (each within the guarantee and the guarantor's 60,000 / 40,000 deposits).
    akinyi = GuarantorClaim.objects.get(guarantor=people["akinyi"])
    baraka = GuarantorClaim.objects.get(guarantor=people["baraka"])
    assert (akinyi.amount, baraka.amount) == (D("5714.29"), D("4285.71"))
    assert akinyi.borrower == people["juma"] and akinyi.loan == loan and akinyi.outstanding == D("5714.29")
    # Dr 2000 Member deposits [Akinyi] 5,714.29 / Cr 1100 Loans to members [loan] 5,714.29, and Baraka's alike.
    assert _lines(akinyi.repayment) == sorted(
        [("1100", people["juma"].pk, D("0.00"), D("5714.29")), ("2000", people["akinyi"].pk, D("5714.29"), D("0.00"))]
    )
    assert _lines(baraka.repayment) == sorted(
        [("1100", people["juma"].pk, D("0.00"), D("4285.71")), ("2000", people["baraka"].pk, D("4285.71"), D("0.00"))]
    )
    assert akinyi.repayment.principal_part == D("5714.29") and akinyi.repayment.date == DEFAULTED
    # 60,000.00 − 5,714.29 = 54,285.71; 40,000.00 − 4,285.71 = 35,714.29
    assert account_balance(code="2000", member=people["akinyi"]) == D("54285.71")
    assert account_balance(code="2000", member=people["baraka"]) == D("35714.29")
    loan.refresh_from_db()
    assert loan.status == LoanStatus.CLOSED and account_balance(code="1100") == D("0.00")
    assert set(loan.application.guarantees.values_list("status", flat=True)) == {GuaranteeStatus.RELEASED}
    recovery.refresh_from_db()
    assert recovery.status == RecoveryStatus.APPROVED and recovery.decided_by == admin and recovery.total == D("10000")
    _clean()


def test_each_share_is_capped_at_the_guarantee_and_the_guarantors_free_deposits(people, products, staff):
    loan = _loan(people, products, staff)
    # Baraka has 15,000.00 of his deposits refunded (Dr 2000 [Baraka] / Cr bank): 25,000.00 left.
    bank = bank_account_primary().ledger_account.code
    baraka = people["baraka"]
    ledger_post(
        memo="Deposit refund",
        lines=[Line("2000", debit=D("15000.00"), member_id=baraka.pk), Line(bank, credit=D("15000.00"))],
        idempotency_key="test:refund:baraka",
        date=datetime.date(2026, 3, 1),
    )
    summaries_refresh(member_ids=[baraka.pk])
    _default(loan)
    recovery = guarantor_recovery_prepare(loan=loan, by=staff(roles.TREASURER), today=DEFAULTED)
    guarantor_recovery_approve(recovery=recovery, by=staff(roles.ADMINISTRATORS), date=DEFAULTED)

    # Target 120,000.00 + 1,200.00 = 121,200.00. Split 121,200 × 40/70 = 69,257.142… → 69,257.14 (+0.01 remainder
    # → 69,257.15) and × 30/70 = 51,942.857… → 51,942.85. Akinyi: capped at her guarantee, 40,000.00. Baraka: capped
    # at his guarantee 30,000.00, then at his free deposits: 25,000.00 − 0 loans − 0 other guarantees = 25,000.00.
    first = GuarantorClaim.objects.get(guarantor=people["akinyi"])
    second = GuarantorClaim.objects.get(guarantor=baraka)
    assert (first.amount, second.amount) == (D("40000.00"), D("25000.00"))
    juma = people["juma"].pk
    # Akinyi's 40,000 goes first: interest 1,200.00 (Cr 1110), then principal 38,800.00 (Cr 1100).
    assert _lines(first.repayment) == sorted(
        [
            ("1100", juma, D("0.00"), D("38800.00")),
            ("1110", juma, D("0.00"), D("1200.00")),
            ("2000", people["akinyi"].pk, D("40000.00"), D("0.00")),
        ]
    )
    assert _lines(second.repayment) == sorted(
        [("1100", juma, D("0.00"), D("25000.00")), ("2000", baraka.pk, D("25000.00"), D("0.00"))]
    )
    loan.refresh_from_db()
    # 120,000.00 − 38,800.00 − 25,000.00 = 56,200.00 still owed by Juma on the schedule.
    assert loan.status == LoanStatus.ACTIVE and account_balance(code="1100") == D("56200.00")
    assert account_balance(code="2000", member=baraka) == D("0.00")  # 25,000.00 − 25,000.00
    assert account_balance(code="4000") == D("1200.00")  # the interest recognised when the recovery reached it
    assert set(loan.application.guarantees.values_list("status", flat=True)) == {GuaranteeStatus.RELEASED}
    _clean()


def test_recovery_waits_for_the_default_and_one_open_recovery(people, products, staff):
    loan = _loan(people, products, staff)
    treasurer = staff(roles.TREASURER)
    loans_classify(today=datetime.date(2026, 5, 1))  # 75 days: not yet in default
    loan.refresh_from_db()
    with pytest.raises(LoanStateError, match="75 days past due"):
        guarantor_recovery_prepare(loan=loan, by=treasurer, today=datetime.date(2026, 5, 1))
    _default(loan)
    with pytest.raises(LoanStateError, match="own loan"):
        guarantor_recovery_prepare(loan=loan, by=people["juma"].user, today=DEFAULTED)
    guarantor_recovery_prepare(loan=loan, by=treasurer, today=DEFAULTED)
    with pytest.raises(LoanStateError, match="already waiting"):
        guarantor_recovery_prepare(loan=loan, by=staff(roles.ADMINISTRATORS), today=DEFAULTED)


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_maker_checker_and_each_member_sees_only_their_own_claims(people, products, staff):
    loan = _loan(people, products, staff)
    loan_repay(loan=loan, amount="111200.00", reference="BANK-1", date=datetime.date(2026, 2, 10))
    _default(loan)
    url = f"/api/loans/loans/{loan.pk}/guarantor-recovery/"
    assert _api(staff(roles.CLERKS)).post(url, {}, format="json").status_code == 403
    assert _api(people["juma"].user).post(url, {}, format="json").status_code == 403
    treasurer = _api(staff(roles.TREASURER))
    for bad in ({"date": "not a date"}, {"date": 1e30}, {"date": "2999-01-01"}):
        response = treasurer.post(url, bad, format="json")
        assert response.status_code == 400 and "date" in response.json(), (bad, response.content)
    response = treasurer.post(url, {"date": "2026-05-20"}, format="json")
    assert response.status_code == 201, response.content
    recovery = response.json()
    assert recovery["status"] == "prepared" and recovery["notices_sent"] == 2 and recovery["claims"] == []
    approve = f"/api/loans/guarantor-recoveries/{recovery['id']}/approve/"
    assert treasurer.post(approve, {"date": "2026-05-20"}, format="json").status_code == 409  # the maker
    response = _api(staff(roles.ADMINISTRATORS)).post(approve, {"date": "2026-05-20"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["total"] == "10000.00"
    assert treasurer.post(approve, {}, format="json").status_code == 409  # already approved

    claims = _api(people["akinyi"].user).get("/api/loans/guarantor-claims/").json()
    rows = claims["results"] if isinstance(claims, dict) else claims
    assert [(r["guarantor"], r["amount"], r["borrower"]) for r in rows] == [
        (people["akinyi"].membership_number, "5714.29", people["juma"].membership_number)
    ]
    claims = _api(people["baraka"].user).get("/api/loans/guarantor-claims/").json()
    rows = claims["results"] if isinstance(claims, dict) else claims
    assert [r["amount"] for r in rows] == ["4285.71"]
    claims = _api(people["juma"].user).get("/api/loans/guarantor-claims/").json()
    assert (claims["results"] if isinstance(claims, dict) else claims) == []
    claims = _api(staff(roles.AUDITORS)).get("/api/loans/guarantor-claims/").json()
    assert len(claims["results"] if isinstance(claims, dict) else claims) == 2
    _clean()


def test_the_guarantor_sees_the_claim_in_the_portal_and_nobody_else_does(client, people, products, staff):
    loan = _loan(people, products, staff)
    loan_repay(loan=loan, amount="111200.00", reference="BANK-1", date=datetime.date(2026, 2, 10))
    _default(loan)
    recovery = guarantor_recovery_prepare(loan=loan, by=staff(roles.TREASURER), today=DEFAULTED)
    guarantor_recovery_approve(recovery=recovery, by=staff(roles.ADMINISTRATORS), date=DEFAULTED)
    sign_in_verified(client, people["akinyi"].user)
    page = client.get("/portal/guarantees/").content.decode()
    assert "Your claims on borrowers" in page and page.count('id="claim-') == 1  # hers only, not Baraka's
    assert '<td class="num">5,714.29</td>' in page and '<td class="num">4,285.71</td>' not in page
    client.logout()
    sign_in_verified(client, people["juma"].user)
    assert "Your claims on borrowers" not in client.get("/portal/guarantees/").content.decode()


def test_the_admin_prepares_and_a_second_person_approves(client, people, products, staff):
    loan = _loan(people, products, staff)
    loan_repay(loan=loan, amount="111200.00", reference="BANK-1", date=datetime.date(2026, 2, 10))
    _default(loan)
    sign_in_verified(client, staff(roles.CLERKS))
    refused = client.post(f"/admin/loans/loans/{loan.pk}/guarantor-recovery/", {"date": "2026-05-20"})
    assert refused.status_code in (302, 403) and not loan.guarantor_recoveries.exists()  # Wagtail: back to /admin/
    client.logout()
    sign_in_verified(client, staff(roles.TREASURER))
    listing = client.get(f"/admin/snippets/loans/loan/inspect/{loan.pk}/").content.decode()  # the loan's page
    assert f"/admin/loans/loans/{loan.pk}/guarantor-recovery/" in listing
    form = client.get(f"/admin/loans/loans/{loan.pk}/guarantor-recovery/").content.decode()
    assert "94 days past due" in form and "KES 10,000.00" in form
    response = client.post(f"/admin/loans/loans/{loan.pk}/guarantor-recovery/", {"date": "2026-05-20"})
    assert response.status_code == 302
    recovery = loan.guarantor_recoveries.get()
    approve = f"/admin/loans/guarantor-recoveries/{recovery.pk}/approve/"
    assert approve in client.get("/admin/snippets/loans/guarantorrecovery/").content.decode()
    client.post(approve, {"date": "2026-05-20"})  # the maker: refused by the service
    recovery.refresh_from_db()
    assert recovery.status == RecoveryStatus.PREPARED
    client.logout()
    sign_in_verified(client, staff(roles.ADMINISTRATORS))
    assert client.post(approve, {"date": "2026-05-20"}).status_code == 302
    recovery.refresh_from_db()
    assert recovery.status == RecoveryStatus.APPROVED and recovery.total == D("10000.00")
    claims = client.get("/admin/snippets/loans/guarantorclaim/").content.decode()
    assert "5,714.29" in claims or "5714.29" in claims
    _clean()


def test_the_borrower_pays_a_guarantor_back_through_the_office(people, products, staff):
    loan = _loan(people, products, staff)
    loan_repay(loan=loan, amount="111200.00", reference="BANK-1", date=datetime.date(2026, 2, 10))
    _default(loan)
    recovery = guarantor_recovery_prepare(loan=loan, by=staff(roles.TREASURER), today=DEFAULTED)
    guarantor_recovery_approve(recovery=recovery, by=staff(roles.ADMINISTRATORS), date=DEFAULTED)
    claim = GuarantorClaim.objects.get(guarantor=people["akinyi"])  # 5,714.29
    clerk = _api(staff(roles.CLERKS))
    url = f"/api/loans/guarantor-claims/{claim.pk}/repay/"
    for bad in ({"amount": "1e30", "reference": "R1"}, {"amount": "NaN", "reference": "R1"}, {"reference": "R1"}):
        response = clerk.post(url, bad, format="json")
        assert response.status_code == 400 and "amount" in response.json(), (bad, response.content)
    too_much = clerk.post(url, {"amount": "5714.30", "reference": "R1"}, format="json")
    assert too_much.status_code == 400 and "5,714.29" in str(too_much.json()["amount"])
    assert clerk.post(url, {"amount": "2000.00", "reference": "SLIP-9"}, format="json").status_code == 200
    again = clerk.post(url, {"amount": "2000.00", "reference": "SLIP-9"}, format="json")  # a retry: counted once
    assert again.status_code == 200 and again.json()["recovered_back"] == "2000.00"
    # Dr bank 2,000.00 / Cr 2000 [Akinyi] 2,000.00: her deposits 54,285.71 + 2,000.00 = 56,285.71; 3,714.29 left.
    assert again.json()["outstanding"] == "3714.29"
    assert account_balance(code="2000", member=people["akinyi"]) == D("56285.71")
    assert _api(people["akinyi"].user).post(url, {"amount": "1.00", "reference": "X"}, format="json").status_code == 403
    _clean()
