"""Benchmarks (`make bench`): run on a throwaway SQLite database, or PostgreSQL with DATABASE_URL.

Not part of the test run. Each benchmark prints what it measured; docs/benchmarks.md records the numbers.
"""

import datetime
import os
import statistics
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
    from django.test.utils import setup_test_environment

    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    django.setup()
    setup_test_environment()
    from django.test.utils import get_runner

    runner = get_runner(settings)(verbosity=0, interactive=False)
    old_config = runner.setup_databases()
    try:
        bench_member_registration(count=int(os.environ.get("BENCH_MEMBERS", "2000")))
        bench_dashboard(requests=200)
    finally:
        runner.teardown_databases(old_config)


def bench_member_registration(*, count: int) -> None:
    """Members created one by one through member_create (the path invitations will use)."""
    from portal.members.models import User
    from portal.members.services import member_create

    users = User.objects.bulk_create(
        [User(email=f"bench{i}@example.com", first_name="Bench", last_name=str(i)) for i in range(count)]
    )
    start = time.perf_counter()
    for i, user in enumerate(users):
        member_create(user=user, join_date=datetime.date(2020, 1, 1) + datetime.timedelta(days=i % 2000))
    elapsed = time.perf_counter() - start
    print(f"member_create: {count} members in {elapsed:.2f} s ({count / elapsed:,.0f} members/s)")


def bench_dashboard(*, requests: int) -> None:
    """Server time of the member dashboard (the Django test client: no network, no browser)."""
    from django.test import Client

    from portal.members.models import Member

    client = Client()
    client.force_login(Member.objects.order_by("?").first().user)
    timings = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get("/portal/")
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    timings.sort()
    print(
        f"dashboard: median {statistics.median(timings):.1f} ms, "
        f"p95 {timings[int(len(timings) * 0.95)]:.1f} ms over {requests} requests"
    )


if __name__ == "__main__":
    main()
