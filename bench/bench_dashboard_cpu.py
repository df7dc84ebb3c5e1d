"""Benchmark (issue 17): the member dashboard's CPU work per request, in-process — what a shared machine can still
measure when throughput cannot be.

    .venv/bin/python bench/bench_dashboard_cpu.py   # SQLite: var/test-db<TEST_DB_SUFFIX>.sqlite3, dropped after
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/bench_dashboard_cpu.py

A society of BENCH_MEMBERS members (200) with BENCH_YEARS (5) of monthly contributions is loaded in bulk (the
helpers of bench/run.py); one member signs in with a confirmed authenticator app and a verified session (the second
factor is checked on every request, as in production). The Django test client then asks BENCH_REQUESTS (200) times
each for two trivial views — `/healthz` (answered before sessions) and the sign-in page for a visitor (the whole
middleware stack and the base layout) — and for `/portal/` (warm: the figures cache filled by a first request),
and prints per request: CPU time of this process (`time.process_time`: what the other processes on a shared machine
cannot steal, though a busy machine still slows each instruction somewhat), the Python function calls (cProfile, a
separate pass), the queries and the page size. BENCH_PROFILE=N also prints the dashboard's N costliest functions.

On SQLite the database work is in this process and counted in the CPU time; on PostgreSQL the server's is not.
The settings are portal.settings.test (DEBUG off, the production middleware less the metrics middleware, database
sessions, the local-memory cache); rendering is Django's own, not the test runner's instrumented one.
BENCH_KEEPDB=1 keeps the test database (and its society) for the next run.
"""

import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")


def main() -> None:
    import django
    from django.conf import settings
    from django.test.utils import get_runner, setup_test_environment

    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    django.setup()
    setup_test_environment()
    keep = bool(os.environ.get("BENCH_KEEPDB"))
    runner = get_runner(settings)(verbosity=0, interactive=False, keepdb=keep)
    old_config = runner.setup_databases(serialized_aliases=set())
    # Not the test environment's instrumented template rendering (it copies every context for assertions): the
    # rendering gunicorn runs.
    from django.test.utils import teardown_test_environment

    teardown_test_environment()
    try:
        run(
            members=int(os.environ.get("BENCH_MEMBERS", "200")),
            years=int(os.environ.get("BENCH_YEARS", "5")),
            requests=int(os.environ.get("BENCH_REQUESTS", "200")),
            top=int(os.environ.get("BENCH_PROFILE", "0")),
        )
    finally:
        if not keep:
            runner.teardown_databases(old_config)


def run(*, members: int, years: int, requests: int, top: int = 0) -> None:
    from django.test import Client
    from run import history_bulk, members_bulk

    from portal.members.models import Member

    society = list(Member.objects.filter(membership_number__startswith="MB-BENCH").order_by("membership_number"))
    if not society:
        society = members_bulk(count=members)
        history_bulk(members=society, years=years)
    member = society[len(society) // 2]
    client = signed_in_client(Client(), member=member)
    anonymous = Client()
    print(f"{len(society):,} members × {years} years; {requests} requests each; {os.environ['DATABASE_URL'][:10]}…")
    for label, who, path in (
        ("/healthz (floor: before sessions)", anonymous, "/healthz"),
        ("/accounts/login/ (anonymous page, full stack)", anonymous, "/accounts/login/"),
        ("/portal/ (dashboard, warm)", client, "/portal/"),
    ):
        measure(label=label, client=who, path=path, requests=requests, top=top if path == "/portal/" else 0)


def signed_in_client(client, *, member):
    """A signed-in session that passed the second factor (a confirmed authenticator app), as after the OTP page."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=member.user).first() or TOTPDevice.objects.create(
        user=member.user, name="Bench app", confirmed=True
    )
    client.force_login(member.user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session["otp_verified_at"] = int(time.time())
    session.save()
    return client


def measure(*, label: str, client, path: str, requests: int, top: int) -> None:
    from django.db import connection

    response = client.get(path)  # warm: templates loaded, the figures cache filled
    assert response.status_code == 200, (path, response.status_code)
    queries = []
    with connection.execute_wrapper(lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)):
        response = client.get(path)
    size = len(response.content)
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    for _ in range(requests):
        client.get(path)
    cpu = (time.process_time() - cpu_start) / requests
    wall = (time.perf_counter() - wall_start) / requests
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(path)
    profiler.disable()
    stats = pstats.Stats(profiler)
    calls = stats.total_calls / requests
    print(
        f"{label}: CPU {cpu * 1000:.2f} ms a request (wall {wall * 1000:.2f} ms), "
        f"{calls:,.0f} function calls a request, {len(queries)} queries, {size:,} bytes"
    )
    if top:
        stats.sort_stats("tottime").print_stats(top)
        stats.sort_stats("cumulative").print_stats(top)


if __name__ == "__main__":
    main()
