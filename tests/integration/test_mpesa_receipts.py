"""M-Pesa receipts (issue 15): each purpose posts the hand-computed entries to the cent through the services, money
that cannot be matched waits in 2300 Unallocated receipts, a TransID posts once however often (and however
concurrently) it comes, and ledger_check is clean afterwards."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.core.management import call_command

from portal.contributions.models import MonthlyContribution, ShareCapitalPayment
from portal.finance.banking.models import BankAccount
from portal.finance.ledger.models import JournalEntry, JournalLine
from portal.finance.ledger.selectors import account_balance
from portal.finance.periods.services import period_close_approve, period_close_request
from portal.loans.models import LoanRepayment
from portal.members import roles
from portal.members.models import MemberStatus
from portal.mpesa.models import MpesaReceipt, ReceiptStatus
from portal.mpesa.receipts import Purpose, ReceiptConflict, mpesa_receipt_post, paybill_account, reference_parse
from tests.factories import loan_disbursed, run_together

pytestmark = pytest.mark.django_db
D = Decimal
NAIROBI = zoneinfo.ZoneInfo("Africa/Nairobi")
PAID_AT = datetime.datetime(2026, 2, 25, 10, 30, tzinfo=NAIROBI)  # the loan's first instalment fell due 15 Feb


def _post(trans_id, member, purpose, amount, **extra):
    return mpesa_receipt_post(
        trans_id=trans_id,
        member=member,
        purpose=purpose,
        amount=D(amount),
        paid_at=extra.pop("paid_at", PAID_AT),
        phone="254712345678",
        payer_name="AMINA WANJIRU",
        **extra,
    )


def _lines(entry):
    """(account code, member id or None, debit, credit) of an entry, sorted."""
    return sorted(
        (line.account.code, line.member_id, line.debit, line.credit) for line in entry.lines.select_related("account")
    )


def test_reference_parse_reads_the_membership_number_and_the_suffix(member):
    number = member.membership_number  # MB-202403-00001
    tail = number.split("-", 1)[1]
    assert reference_parse(number) == (member, Purpose.DEPOSITS)
    assert reference_parse(f"{number}-L") == (member, Purpose.LOAN_REPAYMENT)
    assert reference_parse(f" {number.lower()}-s ") == (member, Purpose.SHARE_CAPITAL)
    assert reference_parse(f"mb {tail.replace('-', ' ')} l") == (member, Purpose.LOAN_REPAYMENT)
    assert reference_parse(number.replace("-", "") + "S") == (member, Purpose.SHARE_CAPITAL)
    assert reference_parse("MB-209901-00001") == (None, Purpose.DEPOSITS)
    assert reference_parse("MB-209901-00001-L") == (None, Purpose.LOAN_REPAYMENT)
    assert reference_parse("") == (None, Purpose.DEPOSITS)
    assert reference_parse("'; DROP TABLE x;--" * 20) == (None, Purpose.DEPOSITS)


def test_a_deposit_posts_dr_paybill_cr_member_deposits(member):
    result = _post("QFC1A2B3C4", member, Purpose.DEPOSITS, "1500.00", reference=member.membership_number)
    assert result.created and result.receipt.status == ReceiptStatus.POSTED
    paybill = paybill_account()
    assert paybill.name == "M-Pesa paybill 600000" and paybill.kind == "mpesa"
    code = paybill.ledger_account.code
    assert _lines(result.receipt.entry) == [
        (code, None, D("1500.00"), D("0.00")),
        ("2000", member.pk, D("0.00"), D("1500.00")),
    ]
    contribution = MonthlyContribution.objects.get(member=member)
    assert contribution.reference == "QFC1A2B3C4" and contribution.period == datetime.date(2026, 2, 1)
    assert contribution.bank_account == paybill and contribution.date == datetime.date(2026, 2, 25)
    assert account_balance(code="2000", member=member) == D("1500.00")
    call_command("ledger_check")


def test_share_capital_posts_dr_paybill_cr_3000(member):
    result = _post("QFC1A2B3C5", member, Purpose.SHARE_CAPITAL, "2000.50")
    code = paybill_account().ledger_account.code
    assert _lines(result.receipt.entry) == [
        (code, None, D("2000.50"), D("0.00")),
        ("3000", member.pk, D("0.00"), D("2000.50")),
    ]
    assert ShareCapitalPayment.objects.get(member=member).reference == "QFC1A2B3C5"
    call_command("ledger_check")


def test_a_loan_repayment_is_allocated_like_a_checkoff_repayment(borrower, products, staff_user):
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    # 100,000 at 12 % over 12 months (amortised): instalment 1 = 8,884.88 (interest 1,000.00, principal 7,884.88),
    # due 15 Feb. KES 10,000 on 25 Feb: instalment 1 in full, then 1,115.12 ahead of schedule on instalment 2
    # (interest 921.15 = 1 % of 92,115.12, principal 193.97).
    result = _post("QFC1A2B3C6", borrower, Purpose.LOAN_REPAYMENT, "10000.00")
    assert result.receipt.status == ReceiptStatus.POSTED
    code = paybill_account().ledger_account.code
    assert _lines(result.receipt.entry) == [
        (code, None, D("10000.00"), D("0.00")),
        ("2300", borrower.pk, D("0.00"), D("10000.00")),
    ]
    repayment = LoanRepayment.objects.get(loan=loan)
    assert repayment.reference == "QFC1A2B3C6" and repayment.amount == D("10000.00")
    assert _lines(repayment.entry) == [
        ("1100", borrower.pk, D("0.00"), D("8078.85")),
        ("1110", borrower.pk, D("0.00"), D("1921.15")),
        ("2300", borrower.pk, D("10000.00"), D("0.00")),
    ]
    assert account_balance(code="2300", member=borrower) == D("0.00")
    second = loan.instalments.get(number=2)
    assert second.interest_paid == D("921.15") and second.principal_paid == D("193.97")
    call_command("ledger_check")


def test_a_repayment_beyond_every_balance_goes_to_deposits(borrower, products, staff_user):
    loan_disbursed(borrower=borrower, products=products, staff_user=staff_user, amount="10000", months=1)
    deposits = account_balance(code="2000", member=borrower)
    # 10,000 over one month at 12 %: 10,100.00 (interest 100.00). KES 10,500 → 400.00 beyond the balance.
    result = _post("QFC1A2B3C7", borrower, Purpose.LOAN_REPAYMENT, "10500.00")
    assert result.receipt.status == ReceiptStatus.POSTED
    assert account_balance(code="2000", member=borrower) == deposits + D("400.00")
    assert account_balance(code="2300", member=borrower) == D("0.00")
    call_command("ledger_check")


def test_a_loan_reference_without_an_active_loan_waits_in_2300_for_the_member(member):
    result = _post("QFC1A2B3C8", member, Purpose.LOAN_REPAYMENT, "700.00")
    assert result.receipt.status == ReceiptStatus.UNALLOCATED
    code = paybill_account().ledger_account.code
    assert _lines(result.receipt.entry) == [
        (code, None, D("700.00"), D("0.00")),
        ("2300", member.pk, D("0.00"), D("700.00")),
    ]
    assert account_balance(code="2300", member=member) == D("700.00")
    call_command("ledger_check")


def test_an_unknown_reference_waits_in_2300_with_no_member(db):
    result = _post("QFC1A2B3C9", None, Purpose.DEPOSITS, "250.00", reference="NOSUCH")
    assert result.receipt.status == ReceiptStatus.UNALLOCATED and result.receipt.reference == "NOSUCH"
    code = paybill_account().ledger_account.code
    assert _lines(result.receipt.entry) == [
        (code, None, D("250.00"), D("0.00")),
        ("2300", None, D("0.00"), D("250.00")),
    ]
    call_command("ledger_check")


def test_an_exited_member_s_money_waits_in_2300_for_them(member):
    member.status = MemberStatus.EXITED
    member.save(update_fields=["status"])
    result = _post("QFC1A2B3D0", member, Purpose.DEPOSITS, "300.00")
    assert result.receipt.status == ReceiptStatus.UNALLOCATED
    assert account_balance(code="2300", member=member) == D("300.00")
    assert account_balance(code="2000", member=member) == D("0.00")
    call_command("ledger_check")


def test_a_replay_posts_nothing_and_another_amount_is_a_conflict(member):
    first = _post("QFC1A2B3D1", member, Purpose.DEPOSITS, "1000.00")
    entries, lines = JournalEntry.objects.count(), JournalLine.objects.count()
    again = _post("qfc1a2b3d1 ", member, Purpose.DEPOSITS, "1000.00")
    assert not again.created and again.receipt.pk == first.receipt.pk
    with pytest.raises(ReceiptConflict):
        _post("QFC1A2B3D1", member, Purpose.DEPOSITS, "1000.01")
    assert (JournalEntry.objects.count(), JournalLine.objects.count()) == (entries, lines)
    assert MpesaReceipt.objects.count() == 1
    assert account_balance(code="2000", member=member) == D("1000.00")
    call_command("ledger_check")


def test_a_payment_dated_tomorrow_in_nairobi_is_posted_today(member):
    tomorrow = datetime.datetime.now(NAIROBI) + datetime.timedelta(days=1)
    result = _post("QFC1A2B3D2", member, Purpose.DEPOSITS, "100.00", paid_at=tomorrow)
    assert result.receipt.status == ReceiptStatus.POSTED
    assert result.receipt.entry.date <= datetime.datetime.now(NAIROBI).date()


def test_the_paybill_account_is_created_once_and_an_existing_one_is_used(db, settings):
    first = paybill_account()
    assert paybill_account() == first
    settings.MPESA_SHORTCODE = "1011"  # another shortcode → another account
    assert paybill_account() != first
    assert BankAccount.objects.filter(kind="mpesa", account_number="600000").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_trans_id_from_four_threads_at_once_posts_once(make_member):
    member = make_member()
    paybill_account()

    def post():
        return _post("QFCRACE001", member, Purpose.DEPOSITS, "1200.00").created

    results, errors = run_together([post] * 4)
    assert errors == []
    assert sorted(results) == [False, False, False, True]
    assert MpesaReceipt.objects.count() == 1
    assert account_balance(code="2000", member=member) == D("1200.00")
    call_command("ledger_check")


def test_a_receipt_for_a_closed_month_posts_on_the_first_open_day(member, staff_user, clock_at):
    """A callback that arrives after its month was closed (issue 18) posts in the open month instead of failing;
    the contribution still counts for the month paid."""
    clock_at(datetime.date(2026, 3, 3))
    treasurer, admin = staff_user(roles.TREASURER), staff_user(roles.ADMINISTRATORS)
    period_close_request(month=datetime.date(2026, 2, 1), by=treasurer)
    period_close_approve(month=datetime.date(2026, 2, 1), by=admin)
    result = _post("SLATE0001", member, Purpose.DEPOSITS, "1500")  # paid 25 Feb
    entry = JournalEntry.objects.get(idempotency_key__contains="SLATE0001")
    assert entry.date == datetime.date(2026, 3, 1) and result.receipt.status == ReceiptStatus.POSTED
    assert MonthlyContribution.objects.get(member=member).period == datetime.date(2026, 2, 1)
    assert account_balance(code="2000", member=member) == D("1500")
