"""C4 and the summary cache on PostgreSQL: the same check-off file imported from two threads at once posts once;
concurrent postings to one member lose nothing (ledger and cached summary agree)."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection

from portal.contributions.checkoff import checkoff_post
from portal.contributions.models import CheckoffImport, MemberShareSummary, MonthlyContribution
from portal.contributions.services import monthly_contribution_record, share_capital_payment_record
from portal.finance.banking.services import bank_account_primary
from portal.finance.ledger.models import JournalEntry
from portal.finance.ledger.selectors import account_balance

D = Decimal
PERIOD = datetime.date(2026, 10, 1)


def _run_together(functions):
    errors: list[BaseException] = []
    results = []
    barrier = threading.Barrier(len(functions))

    def run(function):
        try:
            barrier.wait()
            results.append(function())
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(f,)) for f in functions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_threads_import_the_same_file_it_posts_once(make_member):
    members = [make_member(payroll_number=f"C{i:04d}") for i in range(50)]
    content = ("payroll_number,share_capital,deposits\n" + "".join(f"C{i:04d},100,1000\n" for i in range(50))).encode()
    bank = bank_account_primary()

    def post():
        return checkoff_post(content=content, file_name="oct.csv", period=PERIOD, bank_account=bank)

    results, errors = _run_together([post, post])
    assert errors == []
    assert sorted(r.created for r in results) == [False, True]
    assert CheckoffImport.objects.count() == 1
    assert JournalEntry.objects.count() == 50 and MonthlyContribution.objects.count() == 50
    assert account_balance(code="2000", member=members[0]) == D("1000.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_postings_to_one_member_lose_nothing(make_member):
    member = make_member()
    threads = 6
    per_thread = 5

    def pay(n):
        def run():
            for i in range(per_thread):
                monthly_contribution_record(
                    member=member,
                    amount="1000",
                    period=f"2026-{(i % 9) + 1:02d}",
                    reference=f"T{n}-{i}",
                    below_minimum_reason="concurrency test",
                )
                share_capital_payment_record(member=member, amount="10", reference=f"S{n}-{i}")

        return run

    _, errors = _run_together([pay(n) for n in range(threads)])
    assert errors == []
    expected_deposits = D("1000.00") * threads * per_thread
    assert account_balance(code="2000", member=member) == expected_deposits
    summary = MemberShareSummary.objects.get(member=member)
    assert summary.deposits == expected_deposits
    assert summary.share_capital == D("10.00") * threads * per_thread
