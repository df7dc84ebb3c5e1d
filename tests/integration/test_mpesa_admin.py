"""The M-Pesa staff screens (issue 15): receipts waiting in 2300 are listed, found, allocated once to a member's
deposits, loans and share capital (the parts add up to the receipt), only by the roles that post counter payments;
the raw callback log and the statement matching for finance staff; the daily M-Pesa statement matched by receipt
number (one matching row, one not posted, one posted but not in the statement)."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.core.management import call_command

from portal.contributions.models import MonthlyContribution, ShareCapitalPayment
from portal.finance.banking.reconciliation import statement_import
from portal.finance.ledger.models import JournalEntry
from portal.finance.ledger.selectors import account_balance
from portal.loans.models import LoanRepayment
from portal.members import roles
from portal.mpesa.models import MpesaCallback, MpesaReceipt, ReceiptStatus
from portal.mpesa.receipts import (
    Purpose,
    ReceiptAlreadyAllocated,
    Split,
    mpesa_receipt_post,
    paybill_account,
    receipt_allocate,
)
from portal.mpesa.selectors import members_find, statement_receipts_match
from tests.conftest import sign_in_verified
from tests.factories import loan_disbursed

pytestmark = pytest.mark.django_db
D = Decimal
NAIROBI = zoneinfo.ZoneInfo("Africa/Nairobi")


def _unallocated(trans_id="QUN0000001", amount="3000.00", member=None, reference="WHO?", when=None):
    return mpesa_receipt_post(
        trans_id=trans_id,
        member=member,
        purpose=Purpose.DEPOSITS if member is None else Purpose.LOAN_REPAYMENT,
        amount=D(amount),
        paid_at=when or datetime.datetime(2026, 11, 2, 9, 15, tzinfo=NAIROBI),
        phone="254722000111",
        payer_name="JUMA KAMAU",
        reference=reference,
    ).receipt


def _refused(response) -> bool:
    """Wagtail answers a PermissionDenied in an admin view with a redirect to the dashboard (and a message); a
    member is sent to sign in to the admin."""
    return response.status_code == 403 or (response.status_code == 302 and not response.url.startswith("/admin/mpesa/"))


# --- the service ---------------------------------------------------------------------------------------------------
def test_a_receipt_for_no_one_is_split_between_deposits_loans_and_share_capital(borrower, products, staff_user):
    clerk = staff_user(roles.CLERKS)
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    receipt = _unallocated(amount="12000.00")
    assert receipt.status == ReceiptStatus.UNALLOCATED and account_balance(code="2300") == D("12000.00")
    deposits_before = account_balance(code="2000", member=borrower)
    share_before = account_balance(code="3000", member=borrower)
    split = Split(deposits=D("1000.00"), loan_repayment=D("10000.00"), share_capital=D("1000.00"))
    receipt_allocate(receipt=receipt, member=borrower, split=split, by=clerk)
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.ALLOCATED and receipt.member == borrower and receipt.allocated_by == clerk
    # 2300 held for no one → for Juma → out to his deposits, share capital and loan.
    assert account_balance(code="2300") == D("0.00") and account_balance(code="2300", member=borrower) == D("0.00")
    assert account_balance(code="2000", member=borrower) == deposits_before + D("1000.00")
    assert account_balance(code="3000", member=borrower) == share_before + D("1000.00")
    assert LoanRepayment.objects.get(loan=loan).amount == D("10000.00")
    contribution = MonthlyContribution.objects.get(reference=receipt.trans_id)
    assert contribution.period == datetime.date(2026, 11, 1) and contribution.amount == D("1000.00")
    assert ShareCapitalPayment.objects.get(reference=receipt.trans_id).amount == D("1000.00")
    move = JournalEntry.objects.get(idempotency_key=f"mpesa-allocation:{receipt.trans_id}:member")
    lines = {(line.debit, line.credit): line.member_id for line in move.lines.all()}
    assert lines == {(D("12000.00"), D("0.00")): None, (D("0.00"), D("12000.00")): borrower.pk}
    entries = JournalEntry.objects.count()
    with pytest.raises(ReceiptAlreadyAllocated):
        receipt_allocate(receipt=receipt, member=borrower, split=split, by=clerk)
    assert JournalEntry.objects.count() == entries
    call_command("ledger_check")


def test_the_parts_must_add_up_and_the_loan_part_needs_a_loan(member, staff_user):
    from django.core.exceptions import ValidationError

    receipt = _unallocated(amount="500.00")
    with pytest.raises(ValidationError) as exc:
        receipt_allocate(receipt=receipt, member=member, split=Split(deposits=D("400.00")), by=None)
    assert "add up" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        receipt_allocate(receipt=receipt, member=member, split=Split(loan_repayment=D("500.00")), by=None)
    assert "no active loan" in str(exc.value)
    assert JournalEntry.objects.count() == 1 and MpesaReceipt.objects.get().status == ReceiptStatus.UNALLOCATED


def test_a_member_s_own_waiting_receipt_moves_without_a_transfer(member):
    receipt = _unallocated(member=member, amount="800.00", reference=f"{member.membership_number}-L")
    receipt_allocate(receipt=receipt, member=member, split=Split(deposits=D("800.00")), by=None)
    assert not JournalEntry.objects.filter(idempotency_key__endswith=":member").exists()
    assert account_balance(code="2300", member=member) == D("0.00")
    assert account_balance(code="2000", member=member) == D("800.00")
    call_command("ledger_check")


def test_members_are_found_by_number_name_and_phone(make_member):
    juma = make_member(first_name="Juma", last_name="Kamau", phone_number="0722000111")
    compact = juma.membership_number.replace("-", "")
    for q in [juma.membership_number, compact.lower(), "kamau", "Juma Kamau", "254722000111", "+254 722 000 111"]:
        assert juma in members_find(q=q), q
    assert members_find(q="x") == []


# --- the screens ---------------------------------------------------------------------------------------------------
def test_a_clerk_finds_the_receipt_and_allocates_it_once(client, make_member, staff_user):
    juma = make_member(first_name="Juma", last_name="Kamau", phone_number="0722000111")
    receipt = _unallocated(amount="2500.00")
    sign_in_verified(client, staff_user(roles.CLERKS))
    listing = client.get("/admin/mpesa/unallocated/")
    page = listing.content.decode()
    assert listing.status_code == 200
    for text in ["QUN0000001", "2,500.00", "254722000111", "WHO?", "JUMA KAMAU"]:
        assert text in page
    assert "QUN0000001" in client.get("/admin/mpesa/unallocated/?q=juma").content.decode()
    assert "<td>QUN0000001</td>" not in client.get("/admin/mpesa/unallocated/?q=nobody").content.decode()
    url = f"/admin/mpesa/unallocated/{receipt.pk}/"
    suggested = client.get(url).content.decode()
    assert juma.membership_number in suggested  # the payer's phone suggests Juma
    assert juma.membership_number in client.get(url, {"q": "Kamau"}).content.decode()
    form = client.get(url, {"member": juma.pk})
    assert 'name="deposits"' in form.content.decode()
    wrong = client.post(url, {"member": juma.pk, "deposits": "2000", "share_capital": "400"})
    assert wrong.status_code == 200 and "must add up" in wrong.content.decode()
    bad = client.post(url, {"member": juma.pk, "deposits": "1e30"})
    assert bad.status_code == 200 and MpesaReceipt.objects.get().status == ReceiptStatus.UNALLOCATED
    done = client.post(url, {"member": juma.pk, "deposits": "2000", "share_capital": "500"})
    assert done.status_code == 302
    assert account_balance(code="2000", member=juma) == D("2000.00")
    assert account_balance(code="3000", member=juma) == D("500.00")
    entries = JournalEntry.objects.count()
    again = client.post(url, {"member": juma.pk, "deposits": "2000", "share_capital": "500"})
    assert again.status_code == 302 and JournalEntry.objects.count() == entries
    assert "<td>QUN0000001</td>" not in client.get("/admin/mpesa/unallocated/").content.decode()
    call_command("ledger_check")


@pytest.mark.parametrize("role", [roles.LOANS_OFFICERS, roles.CREDIT_COMMITTEE, roles.AUDITORS])
def test_roles_that_do_not_post_payments_cannot_allocate(client, staff_user, member, role):
    receipt = _unallocated()
    sign_in_verified(client, staff_user(role))
    response = client.post(f"/admin/mpesa/unallocated/{receipt.pk}/", {"member": member.pk, "deposits": "3000"})
    assert _refused(response)
    assert MpesaReceipt.objects.get().status == ReceiptStatus.UNALLOCATED


def test_a_member_reaches_none_of_the_m_pesa_admin(client, member):
    _unallocated()
    sign_in_verified(client, member.user)
    for url in ["/admin/mpesa/unallocated/", "/admin/mpesa/callbacks/", "/admin/mpesa/reconciliation/"]:
        response = client.get(url)
        assert _refused(response) and b"QUN0000001" not in response.content


def test_finance_staff_read_the_raw_callbacks_and_clerks_do_not(client, staff_user, member):
    MpesaCallback.objects.create(kind="c2b_confirmation", body='{"TransID": "QRAW000001"}', outcome="posted")
    sign_in_verified(client, staff_user(roles.AUDITORS))
    page = client.get("/admin/mpesa/callbacks/?q=QRAW")
    assert page.status_code == 200 and "QRAW000001" in page.content.decode()
    client.logout()
    sign_in_verified(client, staff_user(roles.CLERKS))
    assert _refused(client.get("/admin/mpesa/callbacks/"))
    assert _refused(client.get("/admin/mpesa/reconciliation/"))


# --- the daily statement matching ----------------------------------------------------------------------------------
def test_an_m_pesa_statement_is_matched_by_receipt_number(client, member, staff_user):
    paid = datetime.datetime(2026, 11, 3, 10, 0, tzinfo=NAIROBI)
    for trans_id, amount in [("QST0000001", "1500.00"), ("QST0000003", "700.00")]:
        mpesa_receipt_post(
            trans_id=trans_id,
            member=member,
            purpose=Purpose.DEPOSITS,
            amount=D(amount),
            paid_at=paid,
            phone="254712345678",
        )
    statement = (
        b"Receipt No.,Completion Time,Details,Paid In,Withdrawn\n"
        b"QST0000001,2026-11-03 10:00:05,Pay Bill from 2547******78,1500.00,\n"  # posted: matches
        b"QST0000002,2026-11-03 11:20:00,Pay Bill from 2547******99,400.00,\n"  # never posted
    )
    result = statement_import(bank_account=paybill_account(), content=statement, file_name="mpesa-3-nov.csv")
    assert result.created and result.matched == 1  # the bank reconciliation matched it to the ledger too
    match = statement_receipts_match(statement=result.statement)
    assert [(line.reference, r.trans_id) for line, r in match.matched] == [("QST0000001", "QST0000001")]
    assert [line.reference for line in match.not_posted] == ["QST0000002"]
    assert [r.trans_id for r in match.not_in_statement] == ["QST0000003"]  # posted, not in the statement
    assert not match.clean

    sign_in_verified(client, staff_user(roles.TREASURER))
    page = client.get("/admin/mpesa/reconciliation/").content.decode()
    assert "mpesa-3-nov.csv" in page and "QST0000002" in page and "QST0000003" in page
