"""The same reference posted by many requests at once posts once, and every request succeeds: one "created", the
others "already posted" — never a 500 from the unique idempotency key (issue 12). PostgreSQL, real threads."""

import datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from portal.contributions.models import MemberShareSummary, MonthlyContribution, ShareCapitalPayment
from portal.contributions.services import (
    MONTHLY,
    SHARE_CAPITAL,
    PaymentItem,
    monthly_contribution_record,
    payments_record,
    share_capital_payment_record,
)
from portal.finance.ledger.models import JournalEntry
from portal.finance.ledger.selectors import account_balance
from portal.finance.ledger.services import Line, Posting, ledger_post, ledger_post_many
from portal.members import roles
from tests.factories import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
D = Decimal
THREADS = 30
PERIOD = datetime.date.today().strftime("%Y-%m")


def _deposit(member, key):
    return [Line("1010", debit=D("500")), Line("2000", credit=D("500"), member_id=member.pk)]


def test_ledger_post_many_with_one_key_from_many_threads_posts_once(member):
    results, errors = run_together(
        [lambda: ledger_post_many(postings=[Posting("race", _deposit(member, "k"), "race:bulk")])] * THREADS
    )
    assert errors == []
    assert sorted(r[0].created for r in results) == [False] * (THREADS - 1) + [True]
    assert len({r[0].entry.pk for r in results}) == 1
    assert JournalEntry.objects.filter(idempotency_key="race:bulk").count() == 1
    assert account_balance(code="2000", member=member) == D("500.00")


def test_ledger_post_with_one_key_from_many_threads_posts_once(member):
    results, errors = run_together(
        [lambda: ledger_post(memo="race", lines=_deposit(member, "k"), idempotency_key="race:one")] * THREADS
    )
    assert errors == []
    assert sorted(r.created for r in results) == [False] * (THREADS - 1) + [True]
    assert account_balance(code="2000", member=member) == D("500.00")


def test_one_contribution_reference_from_many_threads_posts_once(member):
    def pay():
        return monthly_contribution_record(
            member=member, amount="2500", period=PERIOD, reference="MPESA-RACE-1", below_minimum_reason="test"
        )

    results, errors = run_together([pay] * THREADS)
    assert errors == []
    assert sorted(r.created for r in results) == [False] * (THREADS - 1) + [True]
    assert MonthlyContribution.objects.count() == 1 and len({r.record.pk for r in results}) == 1
    assert account_balance(code="2000", member=member) == D("2500.00")
    assert MemberShareSummary.objects.get(member=member).deposits == D("2500.00")


def test_one_share_capital_reference_from_many_threads_posts_once(member):
    results, errors = run_together(
        [lambda: share_capital_payment_record(member=member, amount="1000", reference="SC-RACE")] * THREADS
    )
    assert errors == []
    assert sorted(r.created for r in results) == [False] * (THREADS - 1) + [True]
    assert ShareCapitalPayment.objects.count() == 1
    assert account_balance(code="3000", member=member) == D("1000.00")


def test_a_bulk_request_repeated_from_many_threads_posts_each_row_once(member, other_member):
    def bulk(kind):
        def run():
            items = [
                PaymentItem(member, "3000", PERIOD, reference=f"{kind}-B1", below_minimum_reason="x", row=1),
                PaymentItem(other_member, "4000", PERIOD, reference=f"{kind}-B2", below_minimum_reason="x", row=2),
            ]
            return payments_record(kind=kind, items=items)

        return run

    results, errors = run_together([bulk(MONTHLY), bulk(SHARE_CAPITAL)] * (THREADS // 2))
    assert errors == []
    created = sorted(sum(r.created for r in result) for result in results)
    assert created == [0] * (THREADS - 2) + [2, 2]
    assert MonthlyContribution.objects.count() == 2 and ShareCapitalPayment.objects.count() == 2
    assert account_balance(code="2000", member=other_member) == D("4000.00")
    assert account_balance(code="3000", member=member) == D("3000.00")


@pytest.mark.parametrize(
    ("path", "bulk"),
    [
        ("/api/contributions/monthly/", False),
        ("/api/contributions/share-capital/", False),
        ("/api/contributions/monthly/bulk-create/", True),
        ("/api/contributions/share-capital/bulk-create/", True),
    ],
)
def test_the_api_answers_every_concurrent_repeat_with_already_posted(member, staff_user, path, bulk):
    clerk = staff_user(roles.TREASURER)
    item = {
        "member": member.membership_number,
        "amount": "2500",
        "period": PERIOD,
        "reference": "API-RACE-7",
        "below_minimum_reason": "test",
    }
    body = {"items": [item]} if bulk else item

    def post():
        api = APIClient()
        api.force_authenticate(clerk)
        response = api.post(path, body, format="json")
        return response.status_code, response.json()

    results, errors = run_together([post] * THREADS)
    assert errors == []
    statuses = sorted(code for code, _ in results)
    assert statuses == [200] * (THREADS - 1) + [201], [b for c, b in results if c not in (200, 201)][:3]
    assert sorted(body["already_posted"] for _, body in results) == [0] + [1] * (THREADS - 1)
    assert JournalEntry.objects.filter(idempotency_key__endswith=":API-RACE-7").count() == 1
