"""Issue 16, Members → Exit: notice, the notice period, the maker-checker settlement with hand-computed postings, the
refund paid out, nothing posting to the member afterwards, and the API with member isolation."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient
from wagtail.models import ModelLogEntry

from portal.contributions.services import MONTHLY, PaymentItem, payments_validate
from portal.finance.ledger.models import JournalLine
from portal.finance.ledger.selectors import account_balance
from portal.loans.membership_exit import (
    ExitRefused,
    exit_notice_give,
    exit_refund_pay,
    exit_settlement_approve,
    exit_settlement_prepare,
)
from portal.loans.models import GuaranteeStatus, LoanRepayment, LoanStatus
from portal.loans.services import guarantee_accept
from portal.members import roles
from portal.members.models import ExitPayable, MemberExitStatus, MemberStatus
from portal.reports.member_statement import member_statement
from portal.society.policy import sacco_settings
from tests.factories import application_with_guarantors, loan_disbursed, member_with_savings

pytestmark = pytest.mark.django_db

NOTICE_DAY = datetime.date(2026, 1, 20)
SETTLE_DAY = datetime.date(2026, 3, 23)  # 20 Jan + 60 days = 21 Mar: the notice period has passed


@pytest.fixture
def leaver(make_member, clock_at):
    """Juma: KES 120,000 deposits and KES 20,000 share capital, posted on 10 Jan 2026."""
    clock_at(datetime.date(2026, 1, 10))
    return member_with_savings(make_member, email="juma@example.com", first_name="Juma")


@pytest.fixture
def receiver(make_member):
    return make_member("wanjiru@example.com", first_name="Wanjiru")


@pytest.fixture
def with_loan(leaver, products, staff, clock_at):
    """A development loan of KES 45,000 over one month (12 % a year, annuity): one instalment of 45,000 principal
    + 450.00 interest (45,000 × 1 %) due 15 Feb 2026. Fees (0.5 % insurance) are deducted from the payout."""
    clock_at(datetime.date(2026, 1, 15))
    return loan_disbursed(borrower=leaver, products=products, staff_user=staff, amount="45000", months=1)


@pytest.fixture
def staff(staff_user):
    """staff_user, one user per role however often it is asked for (loan_disbursed asks for the treasurer too)."""
    made = {}

    def _get(role):
        if role not in made:
            made[role] = staff_user(role)
        return made[role]

    return _get


def _balance(code, member):
    return account_balance(code=code, member=member)


def test_exit_settlement_posts_the_hand_computed_entries(leaver, receiver, with_loan, staff, clock_at):
    treasurer, admin = staff(roles.TREASURER), staff(roles.ADMINISTRATORS)
    clock_at(NOTICE_DAY)
    record = exit_notice_give(member=leaver, by=leaver.user, reason="Moving abroad")
    assert record.settle_from == datetime.date(2026, 3, 21)
    clock_at(SETTLE_DAY)
    record = exit_settlement_prepare(
        member_exit=record, by=treasurer, share_capital="transfer", share_receiver=receiver
    )
    # Loan: 45,000.00 principal + 450.00 interest (due 15 Feb, before the settlement day) = 45,450.00
    # Refund: 120,000.00 deposits − 45,450.00 = 74,550.00
    assert (record.deposits, record.loans_offset, record.refund_payable, record.share_capital) == (
        Decimal("120000.00"),
        Decimal("45450.00"),
        Decimal("74550.00"),
        Decimal("20000.00"),
    )
    assert leaver.loans.get().status == LoanStatus.ACTIVE  # preparing posts nothing
    record = exit_settlement_approve(member_exit=record, by=admin)
    assert record.status == MemberExitStatus.SETTLED

    loan = leaver.loans.get()
    assert loan.status == LoanStatus.CLOSED
    offset = LoanRepayment.objects.get(loan=loan)
    assert (offset.amount, offset.principal_part, offset.interest_part) == (
        Decimal("45450.00"),
        Decimal("45000.00"),
        Decimal("450.00"),
    )
    # The offset entry: Dr 2000 [Juma] 45,450 / Cr 1110 450, Cr 1100 45,000 [loan]
    offset_lines = sorted(
        (line.account.code, line.debit, line.credit) for line in offset.entry.lines.select_related("account")
    )
    assert offset_lines == [
        ("1100", Decimal("0.00"), Decimal("45000.00")),
        ("1110", Decimal("0.00"), Decimal("450.00")),
        ("2000", Decimal("45450.00"), Decimal("0.00")),
    ]
    assert _balance("2000", leaver) == Decimal("0.00")
    assert _balance("3000", leaver) == Decimal("0.00")
    assert _balance("2400", leaver) == Decimal("74550.00")
    assert _balance("3000", receiver) == Decimal("20000.00")  # Dr 3000 [Juma] / Cr 3000 [Wanjiru] 20,000
    assert account_balance(code="1100") == Decimal("0.00")
    leaver.refresh_from_db()
    assert leaver.status == MemberStatus.EXITED
    payable = ExitPayable.objects.get(member_exit=record)
    assert payable.amount == Decimal("74550.00")

    bank_before = account_balance(code="1010")
    exit_refund_pay(payable=payable, by=treasurer, reference="CHQ-0042")
    assert _balance("2400", leaver) == Decimal("0.00")
    assert account_balance(code="1010") == bank_before - Decimal("74550.00")
    with pytest.raises(ExitRefused, match="already paid"):
        exit_refund_pay(payable=payable, by=treasurer, reference="CHQ-0043")
    call_command("ledger_check")

    # On the member's statement: the offset, the refund payable and its payment.
    statement = member_statement(member=leaver, start=datetime.date(2026, 1, 1), end=SETTLE_DAY)
    sections = {section["title"]: section for section in statement["sections"]}
    assert sections["Deposits"]["closing"] == Decimal("0.00")
    assert sections["Loans (what you owe)"]["closing"] == Decimal("0.00")
    held = sections["Held for you"]
    assert [(row["in"], row["out"]) for row in held["rows"]] == [
        (Decimal("74550.00"), Decimal("0.00")),
        (Decimal("0.00"), Decimal("74550.00")),
    ]
    # In the audit trail: notice, preparation, approval, payment (and the status change).
    actions = set(
        ModelLogEntry.objects.filter(content_type__model="memberexit", object_id=str(record.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions == {"sacco.action", "sacco.post"}
    assert ModelLogEntry.objects.filter(content_type__model="exitpayable", action="sacco.post").count() == 1
    assert ModelLogEntry.objects.filter(content_type__model="member", action="sacco.status").count() == 1

    # Nothing more posts to the member: a counter payment and a check-off row are refused, naming the row.
    [checked] = payments_validate(
        kind=MONTHLY, items=[PaymentItem(row=3, member=leaver, amount="1000", period="2026-03", reference="late")]
    )
    assert [(e.row, e.field) for e in checked.errors] == [(3, "member")]
    assert "has exited" in checked.errors[0].message


def test_the_notice_period_is_enforced(leaver, receiver, staff, clock_at):
    treasurer = staff(roles.TREASURER)
    clock_at(NOTICE_DAY)
    record = exit_notice_give(member=leaver, by=staff(roles.CLERKS))
    clock_at(datetime.date(2026, 3, 20))  # day 59
    with pytest.raises(ExitRefused, match="notice period runs until 21 Mar 2026"):
        exit_settlement_prepare(member_exit=record, by=treasurer, share_capital="transfer", share_receiver=receiver)
    clock_at(datetime.date(2026, 3, 21))  # day 60
    exit_settlement_prepare(member_exit=record, by=treasurer, share_capital="transfer", share_receiver=receiver)
    with pytest.raises(ExitRefused, match="already given notice"):
        exit_notice_give(member=leaver, by=leaver.user)


def test_maker_checker(leaver, receiver, staff, make_user, clock_at):
    treasurer = staff(roles.TREASURER)
    clock_at(NOTICE_DAY)
    record = exit_notice_give(member=leaver, by=leaver.user)
    clock_at(SETTLE_DAY)
    with pytest.raises(ExitRefused, match="not been prepared"):
        exit_settlement_approve(member_exit=record, by=treasurer)
    record = exit_settlement_prepare(
        member_exit=record, by=treasurer, share_capital="transfer", share_receiver=receiver
    )
    with pytest.raises(ExitRefused, match="someone other than the person who prepared"):
        exit_settlement_approve(member_exit=record, by=treasurer)
    assert _balance("2000", leaver) == Decimal("120000.00")
    other_treasurer = make_user("t2@sacco.example", role=roles.TREASURER)
    exit_settlement_approve(member_exit=record, by=other_treasurer)
    # No loan: the whole 120,000 deposits are payable; share capital 20,000 to Wanjiru.
    assert _balance("2400", leaver) == Decimal("120000.00")
    assert _balance("3000", receiver) == Decimal("20000.00")
    with pytest.raises(ExitRefused, match="already settled"):
        exit_settlement_approve(member_exit=record, by=other_treasurer)
    call_command("ledger_check")


def test_balances_changed_since_preparing_means_preparing_again(leaver, receiver, staff, clock_at):
    from portal.contributions.services import monthly_contribution_record

    clock_at(NOTICE_DAY)
    record = exit_notice_give(member=leaver, by=leaver.user)
    clock_at(SETTLE_DAY)
    record = exit_settlement_prepare(
        member_exit=record, by=staff(roles.TREASURER), share_capital="transfer", share_receiver=receiver
    )
    monthly_contribution_record(member=leaver, amount="1000", period="2026-03", reference="march")
    with pytest.raises(ExitRefused, match="prepare it again"):
        exit_settlement_approve(member_exit=record, by=staff(roles.ADMINISTRATORS))


def test_share_capital_refund_follows_the_bylaws(leaver, staff, clock_at):
    treasurer = staff(roles.TREASURER)
    clock_at(NOTICE_DAY)
    record = exit_notice_give(member=leaver, by=leaver.user)
    clock_at(SETTLE_DAY)
    with pytest.raises(Exception, match="only to be transferred"):
        exit_settlement_prepare(member_exit=record, by=treasurer, share_capital="refund")
    with pytest.raises(Exception, match="Name the member"):
        exit_settlement_prepare(member_exit=record, by=treasurer, share_capital="transfer")
    settings = sacco_settings()
    settings.share_capital_on_exit = "refund"
    settings.save()
    record = exit_settlement_prepare(member_exit=record, by=treasurer, share_capital="refund")
    # 120,000 deposits + 20,000 share capital refunded = 140,000 payable
    assert record.refund_payable == Decimal("140000.00")
    exit_settlement_approve(member_exit=record, by=staff(roles.ADMINISTRATORS))
    assert _balance("2400", leaver) == Decimal("140000.00")
    assert _balance("3000", leaver) == Decimal("0.00")
    assert account_balance(code="3000") == Decimal("0.00")
    call_command("ledger_check")


def test_guarantees_must_be_released_first(leaver, make_member, products, receiver, staff, clock_at):
    borrower = member_with_savings(make_member, email="otieno@example.com", first_name="Otieno", deposits="10000")
    application = application_with_guarantors(
        borrower=borrower, product=products["school-fees"], amount="25000", guarantors=[(leaver, "15000", "Juma")]
    )
    guarantee = application.guarantees.get()
    guarantee_accept(guarantee=guarantee, by_member=leaver)
    clock_at(NOTICE_DAY)
    record = exit_notice_give(member=leaver, by=leaver.user)
    clock_at(SETTLE_DAY)
    with pytest.raises(ExitRefused) as refused:
        exit_settlement_prepare(
            member_exit=record, by=staff(roles.TREASURER), share_capital="transfer", share_receiver=receiver
        )
    message = str(refused.value.messages[0])
    assert "School fees loan of Otieno Kamau" in message and borrower.membership_number in message
    assert "Release or transfer these guarantees first" in message
    guarantee.refresh_from_db()
    assert guarantee.status == GuaranteeStatus.ACCEPTED


def test_deposits_below_the_loans_refuse_the_exit(make_member, products, receiver, staff, clock_at):
    clock_at(datetime.date(2026, 1, 10))
    from portal.contributions.models import MonthlyContribution
    from portal.contributions.services import payment_reverse

    small = member_with_savings(make_member, email="small@example.com", deposits="30000")
    clock_at(datetime.date(2026, 1, 15))
    loan_disbursed(borrower=small, products=products, staff_user=staff, amount="20000", months=1)
    # The deposit was posted in error and reversed: the loan (20,200 owed) now stands against no deposits.
    payment_reverse(
        payment=MonthlyContribution.objects.get(member=small),
        reason="Posted in error",
        reversed_by=staff(roles.TREASURER),
    )
    clock_at(NOTICE_DAY)
    record = exit_notice_give(member=small, by=small.user)
    clock_at(SETTLE_DAY)
    with pytest.raises(ExitRefused, match="do not cover their loans"):
        exit_settlement_prepare(
            member_exit=record, by=staff(roles.TREASURER), share_capital="transfer", share_receiver=receiver
        )


def test_the_api_path_with_member_isolation(leaver, receiver, with_loan, staff, clock_at):
    clock_at(NOTICE_DAY)
    api = APIClient()
    api.force_authenticate(leaver.user)
    # A member cannot give notice for someone else, nor settle.
    assert api.post(f"/api/members/{receiver.pk}/exit-notice/", {}, format="json").status_code == 403
    assert api.post(f"/api/members/{leaver.pk}/exit-settlement/", {}, format="json").status_code == 403
    given = api.post("/api/members/me/exit-notice/", {"reason": "Retiring"}, format="json")
    assert given.status_code == 201 and given.json()["settle_from"] == "2026-03-21"
    assert api.post("/api/members/me/exit-notice/", {}, format="json").status_code == 409
    assert api.get(f"/api/members/{leaver.pk}/exit/").json()["status"] == "notice"
    other = APIClient()
    other.force_authenticate(receiver.user)
    assert other.get(f"/api/members/{leaver.pk}/exit/").status_code == 404

    treasurer, admin = APIClient(), APIClient()
    treasurer.force_authenticate(staff(roles.TREASURER))
    admin.force_authenticate(staff(roles.ADMINISTRATORS))
    url = f"/api/members/{leaver.pk}/exit-settlement/"
    bad = treasurer.post(url, {"share_capital": "burn"}, format="json")
    assert bad.status_code == 400 and "share_capital" in bad.json()
    early = treasurer.post(url, {"share_capital": "transfer", "share_receiver": receiver.membership_number})
    assert early.status_code == 409 and "notice period" in early.json()["detail"]
    clock_at(SETTLE_DAY)
    nobody = treasurer.post(url, {"share_capital": "transfer", "share_receiver": "MB-000000-00000"}, format="json")
    assert nobody.status_code == 400 and "share_receiver" in nobody.json()
    prepared = treasurer.post(
        url, {"share_capital": "transfer", "share_receiver": receiver.membership_number}, format="json"
    )
    assert prepared.status_code == 200 and prepared.json()["refund_payable"] == "74550.00"
    assert treasurer.post(url + "approve/").status_code == 409  # the preparer cannot approve
    approved = admin.post(url + "approve/")
    assert approved.status_code == 200 and approved.json()["status"] == "settled"
    [payable] = approved.json()["payables"]
    assert payable["amount"] == "74550.00"
    pay_url = f"/api/members/exit-payables/{payable['id']}/pay/"
    assert treasurer.post(pay_url, {}, format="json").status_code == 400
    assert treasurer.post(pay_url, {"reference": "EFT-1", "date": "1e30"}, format="json").status_code == 400
    assert api.post(pay_url, {"reference": "EFT-1"}, format="json").status_code == 403
    paid = treasurer.post(pay_url, {"reference": "EFT-1"}, format="json")
    assert paid.status_code == 200 and paid.json()["paid_on"] == "2026-03-23"
    assert treasurer.post(pay_url, {"reference": "EFT-2"}, format="json").status_code == 409
    # The member still reads their exit (and their statement) after leaving.
    assert api.get(f"/api/members/{leaver.pk}/exit/").json()["payables"][0]["reference"] == "EFT-1"
    assert JournalLine.objects.filter(member=leaver, account__code="2400").count() == 2
    call_command("ledger_check")


def test_the_admin_screens(client, leaver, receiver, staff, clock_at):
    from tests.conftest import sign_in_verified

    clock_at(NOTICE_DAY)
    sign_in_verified(client, staff(roles.CLERKS))
    listing = client.get("/admin/snippets/members/memberexit/")
    assert listing.status_code == 200 and "/admin/loans/exits/notice/" in listing.content.decode()
    bad = client.post("/admin/loans/exits/notice/", {"member": "nobody"})
    assert bad.status_code == 200 and "member" in bad.context["form"].errors
    assert client.post("/admin/loans/exits/notice/", {"member": leaver.membership_number}).status_code == 302
    record = leaver.membership_exit
    assert client.get(f"/admin/loans/exits/{record.pk}/prepare/").status_code == 302  # clerks do not settle

    clock_at(SETTLE_DAY)
    treasurer = staff(roles.TREASURER)
    sign_in_verified(client, treasurer)
    prepare = f"/admin/loans/exits/{record.pk}/prepare/"
    assert prepare in client.get("/admin/snippets/members/memberexit/").content.decode()
    refused = client.post(prepare, {"share_capital": "refund"})
    assert refused.status_code == 200 and "only to be transferred" in str(refused.context["form"].errors)
    prepared = client.post(prepare, {"share_capital": "transfer", "share_receiver": receiver.membership_number})
    assert prepared.status_code == 302
    approve = f"/admin/loans/exits/{record.pk}/approve/"
    same = client.post(approve)
    assert same.status_code == 200 and "someone other than" in str(same.context["form"].errors)

    sign_in_verified(client, staff(roles.ADMINISTRATORS))
    assert client.post(approve).status_code == 302
    leaver.refresh_from_db()
    assert leaver.status == MemberStatus.EXITED
    payable = ExitPayable.objects.get()

    sign_in_verified(client, treasurer)
    pay = f"/admin/loans/exits/payables/{payable.pk}/pay/"
    assert pay in client.get("/admin/snippets/members/exitpayable/").content.decode()
    from portal.finance.banking.services import bank_account_primary

    assert client.post(pay, {"reference": "CHQ-9", "bank_account": bank_account_primary().pk}).status_code == 302
    payable.refresh_from_db()
    assert payable.paid_on == SETTLE_DAY and payable.amount == Decimal("120000.00")
    call_command("ledger_check")


def test_a_member_serving_notice_takes_no_new_loan(leaver, products, clock_at):
    from portal.loans.eligibility import loan_eligibility

    clock_at(NOTICE_DAY)
    assert loan_eligibility(member=leaver, product=products["development"], amount=Decimal("10000")).eligible
    exit_notice_give(member=leaver, by=leaver.user)
    result = loan_eligibility(member=leaver, product=products["development"], amount=Decimal("10000"))
    [status] = [rule for rule in result.failed if rule.code == "status"]
    assert "given notice to leave" in str(status.detail)


def test_the_member_gives_notice_in_the_portal(client, leaver, clock_at):
    clock_at(NOTICE_DAY)
    client.force_login(leaver.user)
    page = client.get("/portal/leaving/")
    assert page.status_code == 200 and "60 days" in page.content.decode()
    unconfirmed = client.post("/portal/leaving/", {"reason": "Moving"})
    assert unconfirmed.status_code == 200 and "confirm" in unconfirmed.context["form"].errors
    assert client.post("/portal/leaving/", {"reason": "Moving", "confirm": "on"}).status_code == 302
    assert leaver.membership_exit.settle_from == datetime.date(2026, 3, 21)
    assert "21 Mar 2026" in client.get("/portal/leaving/").content.decode()
