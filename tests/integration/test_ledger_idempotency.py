"""An idempotency key carries a hash of its content: the same key with the same money returns the first entry; with
other money it is a clear error naming the reference, and nothing is posted (issue 12)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from portal.contributions.services import PaymentItem, PaymentsInvalid, payments_record
from portal.finance.cashbook.models import ExpenseCategory, SaccoExpense
from portal.finance.cashbook.services import expense_record, income_record
from portal.finance.ledger.models import JournalEntry, JournalLine
from portal.finance.ledger.services import (
    IdempotencyConflict,
    Line,
    Posting,
    ledger_post,
    ledger_post_many,
    lines_content_hash,
)
from portal.members import roles

pytestmark = pytest.mark.django_db
D = Decimal


def _deposit_lines(member, amount):
    return [Line("1010", debit=D(amount)), Line("2000", credit=D(amount), member_id=member.pk)]


def test_the_hash_is_kept_beside_the_key_and_describes_the_lines(member):
    entry = ledger_post(memo="x", lines=_deposit_lines(member, "1500.00"), idempotency_key="mpesa:QK1").entry
    entry.refresh_from_db()
    stored = [(li.account.code, li.member_id, li.loan_id, li.debit, li.credit) for li in entry.lines.all()]
    assert len(entry.content_hash) == 64 and entry.content_hash == lines_content_hash(stored)


def test_same_key_same_content_returns_the_first_entry_whatever_the_wording_order_and_date(member):
    first = ledger_post(memo="Deposit", lines=_deposit_lines(member, "1500"), idempotency_key="mpesa:QK2")
    again = ledger_post(
        memo="Deposit (retried)",
        lines=list(reversed(_deposit_lines(member, "1500.00"))),
        idempotency_key="mpesa:QK2",
        date=datetime.date(2026, 1, 2),
        source="retry",
    )
    assert first.created and not again.created and again.entry.pk == first.entry.pk
    assert JournalEntry.objects.count() == 1


@pytest.mark.parametrize(
    "other",
    [
        lambda m, o: _deposit_lines(m, "1500.01"),  # another amount
        lambda m, o: _deposit_lines(o, "1500.00"),  # another member
        lambda m, o: [Line("1011", debit=D("1500")), Line("2000", credit=D("1500"), member_id=m.pk)],  # account
    ],
)
def test_same_key_different_content_is_an_error_naming_the_reference_and_posts_nothing(member, other_member, other):
    ledger_post(memo="Deposit", lines=_deposit_lines(member, "1500"), idempotency_key="mpesa:QK3")
    with pytest.raises(IdempotencyConflict, match="mpesa:QK3") as caught:
        ledger_post(memo="Deposit", lines=other(member, other_member), idempotency_key="mpesa:QK3")
    assert caught.value.idempotency_key == "mpesa:QK3"
    assert JournalEntry.objects.count() == 1 and JournalLine.objects.count() == 2


def test_bulk_posting_returns_repeats_and_refuses_a_changed_one_posting_nothing(member, other_member):
    ledger_post_many(
        postings=[
            Posting("a", _deposit_lines(member, "100"), "bulk:1"),
            Posting("b", _deposit_lines(other_member, "200"), "bulk:2"),
        ]
    )
    repeat = ledger_post_many(
        postings=[
            Posting("a again", _deposit_lines(member, "100"), "bulk:1"),
            Posting("new", _deposit_lines(member, "300"), "bulk:3"),
        ]
    )
    assert [r.created for r in repeat] == [False, True]
    with pytest.raises(IdempotencyConflict, match="bulk:2"):
        ledger_post_many(
            postings=[
                Posting("new", _deposit_lines(member, "400"), "bulk:4"),
                Posting("b changed", _deposit_lines(other_member, "250"), "bulk:2"),
            ]
        )
    assert not JournalEntry.objects.filter(idempotency_key="bulk:4").exists()
    assert JournalEntry.objects.count() == 3


def test_a_job_keyed_by_period_may_keep_its_first_figure(member):
    """The month's penalty, the day's provision: the key is the period, and the first run's amount stands."""
    lines = [Line("1120", debit=D("10")), Line("4200", credit=D("10"))]
    first = ledger_post(memo="penalty", lines=lines, idempotency_key="penalty:x:1:2026-10")
    later = [Line("1120", debit=D("7.50")), Line("4200", credit=D("7.50"))]
    with pytest.raises(IdempotencyConflict):
        ledger_post(memo="penalty", lines=later, idempotency_key="penalty:x:1:2026-10")
    kept = ledger_post(memo="penalty", lines=later, idempotency_key="penalty:x:1:2026-10", compare_content=False)
    assert not kept.created and kept.entry.pk == first.entry.pk


def _expense(amount, *, reference="R-17", payee="Jengo Properties"):
    return expense_record(
        category=ExpenseCategory.objects.get(name="Rent and utilities"),
        amount=amount,
        payee=payee,
        description="Rent",
        reference=reference,
    )


def test_cashbook_receipt_number_used_again_for_a_different_expense_is_a_clear_error():
    first, created = _expense("45000")
    assert created
    again, created = _expense("45000.00")
    assert not created and again.pk == first.pk
    with pytest.raises(ValidationError) as caught:
        _expense("46000")
    assert caught.value.message_dict["reference"] == [
        "Receipt number R-17 was already used for a different expense; nothing was posted."
    ]
    with pytest.raises(ValidationError) as caught:
        _expense("45000", payee="Someone Else")  # the same money, but paid to another payee
    assert "R-17" in caught.value.message_dict["reference"][0]
    assert SaccoExpense.objects.count() == 1 and JournalEntry.objects.count() == 1


def test_cashbook_income_with_a_reused_reference_is_refused_too():
    from portal.finance.cashbook.models import IncomeCategory

    fees = IncomeCategory.objects.get(name="Entrance fees")
    income_record(category=fees, amount="1000", payer="A", description="Fee", reference="RC-1")
    with pytest.raises(ValidationError, match="RC-1"):
        income_record(category=fees, amount="2000", payer="A", description="Fee", reference="RC-1")


def test_api_expense_with_a_reused_receipt_number_is_a_400_naming_it(staff_user):
    api = APIClient()
    api.force_authenticate(staff_user(roles.TREASURER))
    body = {"category": "Audit fees", "amount": "30000", "payee": "Auditors LLP", "description": "Audit"}
    assert api.post("/api/transactions/expenses/", {**body, "reference": "R-17"}).status_code == 201
    assert api.post("/api/transactions/expenses/", {**body, "reference": "R-17"}).status_code == 200
    response = api.post("/api/transactions/expenses/", {**body, "amount": "31000", "reference": "R-17"})
    assert response.status_code == 400
    assert "R-17" in response.json()["reference"][0]
    assert SaccoExpense.objects.count() == 1


def test_contribution_reference_reused_for_another_amount_is_a_row_error(member):
    def pay(amount):
        return payments_record(
            kind="share_capital", items=[PaymentItem(member, amount, reference="SC-9")], today=datetime.date.today()
        )

    assert pay("1000")[0].created
    assert not pay("1000.00")[0].created
    with pytest.raises(PaymentsInvalid) as caught:
        pay("1500")
    assert [(e.field, "SC-9" in e.message) for e in caught.value.row_errors] == [("reference", True)]
    assert JournalEntry.objects.count() == 1
