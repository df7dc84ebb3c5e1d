"""Benchmark (issue 15): 10,000 C2B confirmations through the real path — the view (token and sender checked, body
stored raw), the django-q2 task function and mpesa_receipt_post — then all
10,000 replayed. Prints the time of each pass and asserts the replay posted nothing.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/bench_mpesa_c2b.py

Without DATABASE_URL it runs on a throwaway SQLite database. BENCH_C2B_CONFIRMATIONS and BENCH_C2B_MEMBERS change
the sizes; BENCH_C2B_Q2=1 runs each task inline through django-q2's sync mode (as the tests do) instead of
capturing the queue and running the task function afterwards, as BENCH_C2B_WORKERS (4) q2 workers would.
The mix: 70 % deposits, 15 % share capital, 10 % "-L" from members without a loan (2300 for the member), 5 %
unknown references (2300 for no one). Target: under 60 s for the first pass on PostgreSQL."""

import datetime
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")


def main() -> None:
    import django
    from django.conf import settings
    from django.test.utils import get_runner, setup_test_environment

    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    # Persistent connections as in production (base.py: 60 s); the test settings close them after each request,
    # and django-q2's ORM broker closes "old" connections on every enqueue, so with 0 each posted receipt's
    # payment-received message would reconnect to the database.
    settings.DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("BENCH_CONN_MAX_AGE", "60"))
    django.setup()
    setup_test_environment()
    runner = get_runner(settings)(verbosity=0, interactive=False)
    old_config = runner.setup_databases()
    try:
        bench_c2b(
            confirmations=int(os.environ.get("BENCH_C2B_CONFIRMATIONS", "10000")),
            members=int(os.environ.get("BENCH_C2B_MEMBERS", "2000")),
        )
    finally:
        runner.teardown_databases(old_config)


def _members(count: int) -> list:
    from portal.members.models import Member, User

    users = User.objects.bulk_create(
        [User(email=f"payer{i}@example.com", first_name="Payer", last_name=str(i)) for i in range(count)],
        batch_size=2000,
    )
    return Member.objects.bulk_create(
        [
            Member(user=user, membership_number=f"MB-202001-{i + 1:05d}", join_date=datetime.date(2020, 1, 15))
            for i, user in enumerate(users)
        ],
        batch_size=2000,
    )


def _bodies(members: list, count: int) -> list[str]:
    today = datetime.date.today()
    bodies = []
    for i in range(count):
        member = members[i % len(members)]
        kind = i % 20
        if kind < 14:
            ref = member.membership_number
        elif kind < 17:
            ref = f"{member.membership_number}-S"
        elif kind < 19:
            ref = f"{member.membership_number}-L"  # no loan: waits in 2300 for the member
        else:
            ref = f"UNKNOWN{i}"
        bodies.append(
            json.dumps(
                {
                    "TransactionType": "Pay Bill",
                    "TransID": f"QB{i:08d}",
                    "TransTime": f"{today:%Y%m%d}0{i % 10}0000",
                    "TransAmount": f"{500 + (i % 50) * 10}.00",
                    "BusinessShortCode": "600000",
                    "BillRefNumber": ref,
                    "InvoiceNumber": "",
                    "OrgAccountBalance": "",
                    "ThirdPartyTransID": "",
                    "MSISDN": f"2547{i % 100000000:08d}",
                    "FirstName": "PAYER",
                    "MiddleName": "",
                    "LastName": str(i),
                }
            )
        )
    return bodies


def _answer(client, url: str, bodies: list[str]) -> float:
    """Daraja's side: each confirmation posted to the view, answered (stored raw, queued)."""
    start = time.perf_counter()
    for body in bodies:
        response = client.post(url, data=body, content_type="application/json")
        assert response.status_code == 200 and response.json()["ResultCode"] == 0, response.content
    return time.perf_counter() - start


def _process(callback_ids: list, *, workers: int) -> float:
    """The workers' side: the queued callbacks processed as the django-q2 task does, by `workers` threads (a q2
    cluster's workers), each on its own database connection."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from portal.mpesa.c2b import c2b_confirmation_process

    chunks = [callback_ids[i::workers] for i in range(workers)]
    done = [0]
    start = time.perf_counter()

    def work(chunk):
        try:
            for callback_id in chunk:
                c2b_confirmation_process(callback_id)
                done[0] += 1
                if done[0] % 1000 == 0:
                    print(f"  … {done[0]:,} processed in {time.perf_counter() - start:.1f} s", flush=True)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(work, chunk) for chunk in chunks]:
            future.result()
    return time.perf_counter() - start


def _pass(client, url: str, bodies: list[str], *, through_q2: bool) -> tuple[float, float]:
    """(seconds answering, seconds processing). Through q2 (BENCH_C2B_Q2=1): the task runs inline after commit
    (Q_CLUSTER sync, as in tests), so processing is inside the answering time. Otherwise the view's queueing is
    captured and the tasks are run one after the other afterwards, as a q2 worker would."""
    import portal.mpesa.c2b as c2b

    if through_q2:
        return _answer(client, url, bodies), 0.0
    queued: list = []
    original = c2b._queue
    c2b._queue = queued.append
    try:
        answered = _answer(client, url, bodies)
    finally:
        c2b._queue = original
    assert len(queued) == len(bodies)
    return answered, _process(queued, workers=int(os.environ.get("BENCH_C2B_WORKERS", "4")))


def bench_c2b(*, confirmations: int, members: int) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from portal.finance.ledger.models import JournalEntry, JournalLine
    from portal.mpesa.models import MpesaCallback, MpesaReceipt
    from portal.mpesa.receipts import paybill_account

    through_q2 = os.environ.get("BENCH_C2B_Q2") == "1"
    if not through_q2:
        # As in production, other tasks queued meanwhile (the payment-received SMS and email) go to the broker for
        # other workers instead of running inline here: this measures the C2B path, not the notifications.
        from django_q.conf import Conf

        Conf.SYNC = False
    start = time.perf_counter()
    people = _members(members)
    bodies = _bodies(people, confirmations)
    paybill_account()
    print(f"setup: {members:,} members, {confirmations:,} confirmation bodies in {time.perf_counter() - start:.1f} s")
    client = Client()
    url = f"/api/mpesa/c2b/confirmation/{settings.MPESA_CALLBACK_TOKEN}/"
    workers = os.environ.get("BENCH_C2B_WORKERS", "4")
    how = "view + q2 task inline" if through_q2 else f"view, then the q2 task function in {workers} workers"

    answered, processed = _pass(client, url, bodies, through_q2=through_q2)
    first = answered + processed
    receipts, entries, lines = MpesaReceipt.objects.count(), JournalEntry.objects.count(), JournalLine.objects.count()
    assert receipts == confirmations, receipts
    print(
        f"c2b first pass ({connection.vendor}, {how}): {confirmations:,} confirmations in {first:.1f} s "
        f"({confirmations / first:,.0f}/s; answering {answered:.1f} s, processing {processed:.1f} s): "
        f"{receipts:,} receipts, {entries:,} entries, {lines:,} lines",
        flush=True,
    )

    answered, processed = _pass(client, url, bodies, through_q2=through_q2)
    replay = answered + processed
    after = MpesaReceipt.objects.count(), JournalEntry.objects.count(), JournalLine.objects.count()
    assert after == (receipts, entries, lines), f"the replay posted something: {after}"
    replays = MpesaCallback.objects.filter(outcome__contains="already posted").count()
    assert replays == confirmations, replays
    print(
        f"c2b replay: {confirmations:,} confirmations in {replay:.1f} s ({confirmations / replay:,.0f}/s; answering "
        f"{answered:.1f} s, processing {processed:.1f} s), nothing posted"
    )
    call_command("ledger_check")


if __name__ == "__main__":
    main()
