"""Benchmark (issue 17): the member dashboard over HTTP, served by gunicorn (gunicorn.conf.py, 2 workers) with the
production settings, against a trivial view on the same server in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/bench_dashboard_http.py

A society of BENCH_MEMBERS members (10,000) with BENCH_YEARS (5) of monthly contributions is loaded in bulk (the
helpers of bench/run.py); one member signs in with a confirmed authenticator app and a verified session (the second
factor is enforced for them on every request, as in production). BENCH_CLIENTS (8) threads then send requests
over loopback for BENCH_SECONDS (10) seconds each — first to `/healthz` (the floor), then to `/portal/` — and the
script prints requests/s, p50 and p95 of each, the workers' CPU time per request (/proc; workers are not recycled
during the bench, so none of their CPU time is lost) and the ratio. BENCH_PROFILE=1 also profiles the dashboard
in-process (cProfile around the test client) and prints where the time goes.

The server runs portal.settings.production (DEBUG off, persistent database connections, JSON logs, metrics
middleware) with the environment it requires; only the static files storage is swapped for one that needs no
`collectstatic` manifest (bench/bench_http_settings.py): the bench never asks for a static file.
"""

import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
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

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("bench_dashboard_http needs PostgreSQL: set DATABASE_URL=postgres://…")
    django.setup()
    setup_test_environment()
    keep = bool(os.environ.get("BENCH_KEEPDB"))  # keep the loaded database for the next run (and reuse it)
    runner = get_runner(settings)(verbosity=0, interactive=False, keepdb=keep)
    old_config = runner.setup_databases(serialized_aliases=set())  # no copy of a kept society's rows in memory
    try:
        run(
            members=int(os.environ.get("BENCH_MEMBERS", "10000")),
            years=int(os.environ.get("BENCH_YEARS", "5")),
            clients=int(os.environ.get("BENCH_CLIENTS", "8")),
            seconds=float(os.environ.get("BENCH_SECONDS", "10")),
        )
    finally:
        if not keep:
            runner.teardown_databases(old_config)


def run(*, members: int, years: int, clients: int, seconds: float) -> None:
    from django.db import connection
    from run import history_bulk, members_bulk

    from portal.members.models import Member

    society = list(Member.objects.filter(membership_number__startswith="MB-BENCH").order_by("membership_number"))
    if society and len(society) != members:
        sys.exit(f"the kept database has {len(society):,} members, not {members:,}: drop it or set BENCH_MEMBERS")
    if not society:
        society = members_bulk(count=members)
        history_bulk(members=society, years=years)
    member = society[len(society) // 2]
    cookie = session_cookie(member=member)
    if os.environ.get("BENCH_PROFILE"):
        profile_dashboard(member=member)
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}{':' + database['PASSWORD'] if database['PASSWORD'] else ''}@"
        f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
    )
    connection.close()  # the server's workers get the connections
    port = free_port()
    with gunicorn(port=port, database_url=url) as server:
        headers = {"Cookie": f"sessionid={cookie}", "X-Forwarded-Proto": "https", "Host": "portal.example"}
        check = request(port, "/portal/", headers)
        assert check[0] == 200, f"dashboard answered {check[0]}"
        print(f"dashboard page: {check[1]:,} bytes")
        request(port, "/healthz", headers)
        for _ in range(20):  # every worker warm (templates, prepared queries, caches)
            request(port, "/portal/", headers)
        cpu = workers_cpu_seconds(server.process.pid)
        floor = load(port=port, path="/healthz", headers=headers, clients=clients, seconds=seconds)
        floor["cpu"], cpu = workers_cpu_seconds(server.process.pid) - cpu, workers_cpu_seconds(server.process.pid)
        dashboard = load(port=port, path="/portal/", headers=headers, clients=clients, seconds=seconds)
        dashboard["cpu"] = workers_cpu_seconds(server.process.pid) - cpu
    for name, result in (("/healthz (the floor)", floor), ("/portal/ (dashboard)", dashboard)):
        print(
            f"{name}: {result['rate']:,.0f} requests/s, p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms "
            f"({result['count']:,} requests, {clients} clients, {result['errors']} not 200); "
            f"workers' CPU {result['cpu'] / max(result['count'], 1) * 1000:.2f} ms a request"
        )
    print(f"dashboard / floor: {floor['rate'] / dashboard['rate']:.1f}× slower ({members:,} members × {years} years)")


def session_cookie(*, member) -> str:
    """A signed-in session that passed the second factor (a confirmed authenticator app), as after the OTP page."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = member.user
    device = TOTPDevice.objects.create(user=user, name="Bench app", confirmed=True)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session["otp_device_id"] = device.persistent_id
    session["otp_verified_at"] = int(time.time())
    session.create()
    return session.session_key


def profile_dashboard(*, member, requests: int = 50) -> None:
    """Where the dashboard's time goes in-process (no network): cProfile over `requests` test-client requests."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(member.user)
    session = client.session
    session["otp_device_id"] = member.user.totpdevice_set.first().persistent_id
    session.save()
    assert client.get("/portal/").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get("/portal/")
    print(f"dashboard: {len(queries)} queries")
    for query in queries:
        print(f"  {float(query['time']) * 1000:6.1f} ms  {query['sql'][:300]}")
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    for _ in range(requests):
        client.get("/portal/")
    profiler.disable()
    print(f"in-process: {(time.perf_counter() - start) / requests * 1000:.1f} ms a request")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)


def workers_cpu_seconds(master: int) -> float:
    """User + system CPU seconds of the gunicorn workers so far (Linux /proc): what the requests cost the server
    whatever else the machine runs (the PostgreSQL and Redis servers' share is not in it)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (fields 14 and 15 of stat)
    return total


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class gunicorn:  # noqa: N801 - used as a context manager
    """gunicorn from gunicorn.conf.py, 2 workers on loopback, production settings; stopped on exit."""

    def __init__(self, *, port: int, database_url: str):
        from django.conf import settings

        self.port = port
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench_http_settings",
            "PYTHONPATH": f"{ROOT / 'bench'}:{ROOT}",
            "DATABASE_URL": database_url,
            # The key the session was signed with here (and the user's session hash made with).
            "SECRET_KEY": settings.SECRET_KEY,
            "ALLOWED_HOSTS": "portal.example",
            "EMAIL_HOST": "127.0.0.1",
            "DEFAULT_FROM_EMAIL": "bench@portal.example",
            "BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": os.environ.get("BENCH_WORKERS", "2"),
            "GUNICORN_LOG_LEVEL": "warning",
            "GUNICORN_MAX_REQUESTS": "0",  # no recycling mid-run: a recycled worker's CPU time would be lost
        }

    def __enter__(self):
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
            [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py")],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if request(self.port, "/healthz", {})[0] == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        self.__exit__(None, None, None)
        self.log.seek(0)
        raise RuntimeError("gunicorn did not start:\n" + self.log.read().decode(errors="replace")[-3000:])

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)


def request(port: int, path: str, headers: dict) -> tuple[int, int]:
    """(status, bytes of the body) of one GET on a new connection (gunicorn's sync workers close each)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        if response.status in (301, 302):
            print(f"{path} redirects to {response.getheader('Location')}")
        return response.status, len(body)
    finally:
        connection.close()


def load(*, port: int, path: str, headers: dict, clients: int, seconds: float, limit: int = 100_000) -> dict:
    """`clients` threads each sending one request after another for `seconds` (at most `limit` in all)."""
    timings: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client():
        while time.monotonic() < stop and len(timings) < limit:
            start = time.perf_counter()
            status, _ = request(port, path, headers)
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                timings.append(elapsed)
                if status != 200:
                    errors[0] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    timings.sort()
    return {
        "rate": len(timings) / elapsed,
        "p50": statistics.median(timings),
        "p95": timings[int(len(timings) * 0.95)],
        "count": len(timings),
        "errors": errors[0],
    }


if __name__ == "__main__":
    main()
