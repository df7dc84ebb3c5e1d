"""Issue 16, Members → Death: recorded by staff, an insured loan cleared by the insurance claim, an uninsured one
offset against the deposits (what they do not cover left outstanding for guarantor recovery), the rest split among
the nominees by their percentages to the cent, each a payable."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from rest_framework.test import APIClient

from portal.contributions.models import MonthlyContribution
from portal.contributions.services import monthly_contribution_record, payment_reverse
from portal.finance.ledger.selectors import account_balance
from portal.loans.member_death import NomineesIncomplete, member_death_record, nominee_split
from portal.loans.membership_exit import exit_refund_pay, exit_settlement_approve, exit_settlement_prepare
from portal.loans.models import LoanProduct, LoanRepayment, LoanStatus
from portal.members import roles
from portal.members.models import ExitPayable, MemberExitKind, MemberStatus, Nominee
from portal.society.policy import sacco_settings
from tests.factories import loan_disbursed, member_with_savings

pytestmark = pytest.mark.django_db

DIED_ON = datetime.date(2026, 3, 1)  # after the loan's one instalment fell due (15 Feb 2026)


@pytest.fixture
def staff(staff_user):
    """staff_user, one user per role however often it is asked for (loan_disbursed asks for the treasurer too)."""
    made = {}

    def _get(role):
        if role not in made:
            made[role] = staff_user(role)
        return made[role]

    return _get


@pytest.fixture
def deceased(make_member, clock_at):
    """Juma: KES 120,000 deposits and KES 20,000 share capital, posted on 10 Jan 2026."""
    clock_at(datetime.date(2026, 1, 10))
    return member_with_savings(make_member, email="juma@example.com", first_name="Juma")


def _nominees(member, *shares):
    for name, percent in shares:
        Nominee.objects.create(member=member, full_name=name, relationship="child", share_percent=Decimal(percent))


def _loan_of_45000(member, products, staff, clock_at):
    """Development loan, KES 45,000 over one month at 12 % a year: 45,000 principal + 450.00 interest due 15 Feb."""
    clock_at(datetime.date(2026, 1, 15))
    return loan_disbursed(borrower=member, products=products, staff_user=staff, amount="45000", months=1)


def test_nominee_split_to_the_cent_remainder_to_the_largest_share():
    nominees = [
        Nominee(full_name="Largest", relationship="child", share_percent=Decimal("33.34")),
        Nominee(full_name="B", relationship="child", share_percent=Decimal("33.33")),
        Nominee(full_name="C", relationship="child", share_percent=Decimal("33.33")),
    ]
    # 100.00 × 33.34 % = 33.334 → 33.33; × 33.33 % = 33.333 → 33.33 each; 99.99 shared, the 0.01 left to "Largest".
    parts = nominee_split(nominees=nominees, amount=Decimal("100.00"))
    assert [(n.full_name, p) for n, p in parts] == [
        ("Largest", Decimal("33.34")),
        ("B", Decimal("33.33")),
        ("C", Decimal("33.33")),
    ]
    with pytest.raises(NomineesIncomplete, match="add up to 66.66%"):
        nominee_split(nominees=nominees[1:], amount=Decimal("100.00"))


def test_insured_loan_cleared_by_the_insurance_claim(deceased, products, staff, clock_at):
    assert products["development"].insurance_fee_percent > 0
    loan = _loan_of_45000(deceased, products, staff, clock_at)
    _nominees(deceased, ("Achieng", "60.00"), ("Otieno", "40.00"))
    settings = sacco_settings()
    settings.share_capital_on_exit = "refund"
    settings.save()
    clock_at(datetime.date(2026, 3, 2))
    clerk = staff(roles.CLERKS)
    record = member_death_record(member=deceased, died_on=DIED_ON, by=clerk)
    assert record.kind == MemberExitKind.DEATH and record.settle_from == DIED_ON  # no notice period
    record = exit_settlement_prepare(member_exit=record, by=staff(roles.TREASURER), share_capital="refund")
    # Insurance clears 45,000 + 450 = 45,450; nothing from the deposits.
    # Nominees: 120,000 deposits + 20,000 share capital = 140,000 → 60 % 84,000.00, 40 % 56,000.00
    assert (record.insurance_cleared, record.loans_offset, record.refund_payable) == (
        Decimal("45450.00"),
        Decimal("0.00"),
        Decimal("140000.00"),
    )
    exit_settlement_approve(member_exit=record, by=staff(roles.ADMINISTRATORS))
    loan.refresh_from_db()
    assert loan.status == LoanStatus.CLOSED
    claim = LoanRepayment.objects.get(loan=loan)
    assert sorted((line.account.code, line.debit, line.credit) for line in claim.entry.lines.all()) == [
        ("1100", Decimal("0.00"), Decimal("45000.00")),
        ("1110", Decimal("0.00"), Decimal("450.00")),
        ("1130", Decimal("45450.00"), Decimal("0.00")),
    ]
    assert account_balance(code="1130") == Decimal("45450.00")
    assert [(p.payee, p.share_percent, p.amount) for p in ExitPayable.objects.order_by("-amount")] == [
        ("Achieng", Decimal("60.00"), Decimal("84000.00")),
        ("Otieno", Decimal("40.00"), Decimal("56000.00")),
    ]
    assert account_balance(code="2400", member=deceased) == Decimal("140000.00")
    assert account_balance(code="2000", member=deceased) == Decimal("0.00")
    assert account_balance(code="3000", member=deceased) == Decimal("0.00")
    deceased.refresh_from_db()
    assert deceased.status == MemberStatus.EXITED and "Deceased on 01 Mar 2026" in deceased.status_reason
    for payable in ExitPayable.objects.all():
        exit_refund_pay(payable=payable, by=staff(roles.TREASURER), reference=f"EFT-{payable.payee}")
    assert account_balance(code="2400", member=deceased) == Decimal("0.00")
    call_command("ledger_check")


def test_uninsured_loan_offset_then_three_nominees(deceased, make_member, products, staff, clock_at):
    LoanProduct.objects.filter(slug="development").update(insurance_fee_percent=0)
    products["development"].refresh_from_db()
    _loan_of_45000(deceased, products, staff, clock_at)
    receiver = make_member("wanjiru@example.com", first_name="Wanjiru")
    _nominees(deceased, ("Achieng", "33.34"), ("Baraka", "33.33"), ("Chebet", "33.33"))
    clock_at(datetime.date(2026, 3, 2))
    record = member_death_record(member=deceased, died_on=DIED_ON, by=staff(roles.CLERKS))
    record = exit_settlement_prepare(
        member_exit=record, by=staff(roles.TREASURER), share_capital="transfer", share_receiver=receiver
    )
    # Deposits 120,000 − (45,000 + 450) = 74,550 for the nominees:
    # 74,550 × 33.33 % = 24,847.515 → 24,847.51 (twice); × 33.34 % = 24,854.97; shared 74,549.99, so the 0.01 left
    # goes to the largest share: 24,854.98.
    assert (record.loans_offset, record.refund_payable) == (Decimal("45450.00"), Decimal("74550.00"))
    exit_settlement_approve(member_exit=record, by=staff(roles.ADMINISTRATORS))
    assert [(p.payee, p.amount) for p in ExitPayable.objects.order_by("-amount", "payee")] == [
        ("Achieng", Decimal("24854.98")),
        ("Baraka", Decimal("24847.51")),
        ("Chebet", Decimal("24847.51")),
    ]
    assert account_balance(code="2400", member=deceased) == Decimal("74550.00")
    assert account_balance(code="3000", member=receiver) == Decimal("20000.00")
    assert account_balance(code="1100") == Decimal("0.00")
    call_command("ledger_check")


def test_deposits_short_leave_the_rest_outstanding(make_member, products, staff, clock_at):
    LoanProduct.objects.filter(slug="development").update(insurance_fee_percent=0)
    products["development"].refresh_from_db()
    clock_at(datetime.date(2026, 1, 10))
    member = member_with_savings(make_member, email="small@example.com", deposits="30000")
    clock_at(datetime.date(2026, 1, 15))
    loan = loan_disbursed(borrower=member, products=products, staff_user=staff, amount="20000", months=1)
    payment_reverse(
        payment=MonthlyContribution.objects.get(member=member), reason="Wrong", reversed_by=staff(roles.TREASURER)
    )
    monthly_contribution_record(member=member, amount="5000", period="2026-02", reference="feb")
    receiver = make_member("wanjiru@example.com", first_name="Wanjiru")
    _nominees(member, ("Achieng", "100.00"))
    clock_at(datetime.date(2026, 3, 2))
    record = member_death_record(member=member, died_on=DIED_ON, by=staff(roles.CLERKS))
    record = exit_settlement_prepare(
        member_exit=record, by=staff(roles.TREASURER), share_capital="transfer", share_receiver=receiver
    )
    # Owed 20,000 + 200 interest (1 %) = 20,200; the deposits (5,000) pay 200 interest + 4,800 principal;
    # 15,200 principal stays outstanding for recovery from the guarantors; nothing is left for the nominee.
    assert (record.loans_offset, record.loans_left, record.refund_payable) == (
        Decimal("5000.00"),
        Decimal("15200.00"),
        Decimal("0.00"),
    )
    exit_settlement_approve(member_exit=record, by=staff(roles.ADMINISTRATORS))
    loan.refresh_from_db()
    assert loan.status == LoanStatus.ACTIVE
    assert account_balance(code="1100") == Decimal("15200.00")
    assert account_balance(code="2000", member=member) == Decimal("0.00")
    assert not ExitPayable.objects.exists()
    call_command("ledger_check")


def test_nominees_not_adding_up_refuse_the_settlement(deceased, make_member, staff, clock_at):
    _nominees(deceased, ("Achieng", "50.00"))
    clock_at(datetime.date(2026, 3, 2))
    record = member_death_record(member=deceased, died_on=DIED_ON, by=staff(roles.CLERKS))
    with pytest.raises(NomineesIncomplete, match="add up to 50.00%"):
        exit_settlement_prepare(
            member_exit=record,
            by=staff(roles.TREASURER),
            share_capital="transfer",
            share_receiver=make_member("w@example.com"),
        )


def test_death_over_the_api(deceased, other_member, staff, clock_at, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    clock_at(datetime.date(2026, 3, 2))
    url = f"/api/members/{deceased.pk}/death/"
    member_api = APIClient()
    member_api.force_authenticate(other_member.user)
    assert member_api.post(url, {"died_on": "2026-03-01"}, format="json").status_code == 403
    clerk = APIClient()
    clerk.force_authenticate(staff(roles.CLERKS))
    missing = clerk.post(url, {}, format="json")
    assert missing.status_code == 400 and "died_on" in missing.json()
    future = clerk.post(url, {"died_on": "2026-04-01"}, format="json")
    assert future.status_code == 400 and "died_on" in future.json()
    document = SimpleUploadedFile("permit.pdf", b"%PDF-1.4 burial permit", content_type="application/pdf")
    recorded = clerk.post(url, {"died_on": "2026-03-01", "document": document}, format="multipart")
    assert recorded.status_code == 201 and recorded.json()["kind"] == "death"
    assert clerk.post(url, {"died_on": "2026-03-01"}, format="json").status_code == 409
    assert deceased.membership_exit.death_document.name.startswith(f"deaths/{deceased.pk}/")
