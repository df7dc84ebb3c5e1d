"""rows_prepare / rows_write (portal/finance/bulk_insert.py): rows spelled ahead for COPY (by a worker, without the
database) land exactly as `rows_insert` would have written them — defaults, stamps, NULLs, booleans, amounts, text
that needs escaping — and, on SQLite, go through `rows_insert` itself."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.db import connection

from portal.contributions.models import MemberContributionSchedule, MonthlyContribution, PaymentSource
from portal.finance.banking.services import bank_account_primary
from portal.finance.bulk_insert import copy_text, rows_insert, rows_prepare, rows_write
from portal.finance.ledger.models import JournalEntry
from portal.finance.ledger.services import Line, ledger_post

pytestmark = pytest.mark.django_db


def _entry(key: str) -> JournalEntry:
    return ledger_post(
        memo="Check-off",
        lines=[Line("1010", debit=Decimal("1500.00")), Line("4000", credit=Decimal("1500.00"))],
        idempotency_key=key,
        date=datetime.date(2025, 3, 25),
    ).entry


def _contribution(member, entry, reference: str) -> dict:
    return {
        "id": uuid.uuid4(),
        "member_id": member.pk,
        "amount": Decimal("1500.00"),
        "date": datetime.date(2025, 3, 25),
        "reference": reference,
        "entry_id": entry.pk,
        "period": datetime.date(2025, 3, 1),
        "source": PaymentSource.DEMO,
        "bank_account_id": bank_account_primary().pk,
        "below_minimum_reason": "",
        "not_a_field": "ignored, as rows_insert ignores it",
    }


def _stored(pk) -> dict:
    row = MonthlyContribution.objects.filter(pk=pk).values().get()
    assert row.pop("recorded_at") is not None  # auto_now_add: stamped
    row.pop("id")
    row.pop("entry_id")
    row.pop("reference")
    return row


def test_prepared_rows_land_as_rows_insert_writes_them(member):
    postgres = connection.vendor == "postgresql"
    first, second = _contribution(member, _entry("t:1"), "a"), _contribution(member, _entry("t:2"), "tab\there\\n")
    rows_insert(MonthlyContribution, [first])
    prepared = rows_prepare(MonthlyContribution, [second], postgres=postgres)
    assert (prepared.text is not None) == postgres
    rows_write(prepared)
    assert _stored(first["id"]) == _stored(second["id"])
    assert MonthlyContribution.objects.get(pk=second["id"]).reference == "tab\there\\n"


def test_defaults_stamps_and_nulls_are_filled_as_rows_insert_fills_them(member, other_member):
    postgres = connection.vendor == "postgresql"
    rows_insert(MemberContributionSchedule, [{"member_id": member.pk, "monthly_amount": None}])
    rows_write(
        rows_prepare(
            MemberContributionSchedule, [{"member_id": other_member.pk, "monthly_amount": None}], postgres=postgres
        )
    )
    left, right = (MemberContributionSchedule.objects.filter(member=m).values().get() for m in (member, other_member))
    for row in (left, right):
        assert row.pop("updated_at") is not None  # auto_now: stamped
        row.pop("id"), row.pop("member_id")
    assert left == right and left["monthly_amount"] is None


def test_copy_text_spells_values_and_refuses_what_it_cannot():
    assert copy_text(None) == "\\N"
    assert copy_text(True) == "t" and copy_text(False) == "f"
    assert copy_text("a\tb\\c\nd") == "a\\tb\\\\c\\nd"
    assert copy_text(Decimal("12.50")) == "12.50"
    assert copy_text(datetime.date(2025, 1, 31)) == "2025-01-31"
    with pytest.raises(TypeError, match="dict"):
        copy_text({"a": 1})
