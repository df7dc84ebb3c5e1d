"""Scale-out (issue 17): two gunicorn instances behind haproxy, sharing Redis (cache, sessions, rate limits, queue)
and PostgreSQL (the test database), with a django-q2 worker on the Redis broker — all real processes on 127.0.0.1.

A member signs in (password) through one instance, passes the second factor through the other and carries on
through either; a clerk's check-off file is previewed through one and posted through it while the other serves the
member, who then sees the deposit through the other; the worker sends the file's notices from the Redis queue.

haproxy routes a request to the instance named in its X-Use-Server header (else round robin), and says which one
answered in X-Served-By. The instances run portal.settings.scaleout: production settings over plain HTTP.

Skipped (with the reason) when haproxy or Redis is missing, except with REQUIRE_SCALEOUT=1 (CI's PostgreSQL run),
where that fails.
"""

import datetime
import os
import re
import shutil
import threading

import pytest
import requests
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.finance.banking.services import bank_account_primary
from portal.members import roles
from tests.conftest import PASSWORD
from tests.scaleout_support import (
    PYTHON,
    Processes,
    database_url,
    free_port,
    portal_env,
    queue_key,
    redis_client,
    redis_forget,
    redis_missing,
    run_prefix,
    skip_or_fail,
    wait_for,
)


def _missing() -> str | None:
    if not shutil.which("haproxy"):
        return "haproxy is not installed (apt-get install haproxy)"
    return redis_missing()


MISSING = _missing()
# Skipped at collection (before any test database is made) unless CI requires the test: then the fixture fails.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(bool(MISSING) and os.environ.get("REQUIRE_SCALEOUT") != "1", reason=str(MISSING)),
]
INSTANCES = ("app1", "app2")
TIMEOUT = 30  # seconds for any one request

HAPROXY_CONFIG = """
global
    maxconn 200
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
frontend portal
    bind 127.0.0.1:{lb_port}
    default_backend apps
backend apps
    balance roundrobin
    option forwardfor
    option httpchk GET /readyz
    http-check expect status 200
    http-response set-header X-Served-By %[srv_name]
    use-server app1 if {{ req.hdr(x-use-server) -m str app1 }}
    use-server app2 if {{ req.hdr(x-use-server) -m str app2 }}
    server app1 127.0.0.1:{app1_port} check inter 3s fall 3 rise 1
    server app2 127.0.0.1:{app2_port} check inter 3s fall 3 rise 1
"""


@pytest.fixture
def scale_out(tmp_path):
    """Redis checked, then two gunicorn instances, a qcluster worker and haproxy started on free ports; all
    stopped (and the run's Redis keys deleted) afterwards. Yields the load balancer's base URL and the key prefix."""
    if MISSING:
        skip_or_fail(MISSING, required_by="REQUIRE_SCALEOUT")
    prefix = run_prefix()
    env = portal_env(prefix=prefix, folder=tmp_path, database=database_url(), NUM_PROXIES="1")
    ports = {name: free_port() for name in INSTANCES}
    lb_port = free_port()
    processes = Processes(tmp_path)
    try:
        for name, port in ports.items():
            processes.start(
                name,
                [PYTHON, "-m", "gunicorn"],
                {
                    **env,
                    "BIND": f"127.0.0.1:{port}",
                    "WEB_CONCURRENCY": "1",
                    "GUNICORN_THREADS": "4",
                    "GUNICORN_TIMEOUT": "60",
                },
            )
        processes.start("qcluster", [PYTHON, "manage.py", "qcluster"], env)
        for name, port in ports.items():
            wait_for(
                lambda port=port: (
                    processes.check_running()
                    or requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200
                ),
                timeout=90,
                interval=0.5,
                what=f"{name} to be ready",
            )
        config = tmp_path / "haproxy.cfg"
        config.write_text(HAPROXY_CONFIG.format(lb_port=lb_port, app1_port=ports["app1"], app2_port=ports["app2"]))
        processes.start("haproxy", ["haproxy", "-f", str(config), "-db"], env)
        base = f"http://127.0.0.1:{lb_port}"
        wait_for(
            lambda: processes.check_running() or requests.get(base + "/healthz", timeout=5).status_code == 200,
            timeout=20,
            what="haproxy to answer",
        )
        yield base, prefix
        processes.check_running()  # no instance died during the test
    finally:
        processes.stop_all()
        print(processes.logs())  # captured: pytest shows it only when the test fails
        redis_forget(prefix)


def _get(session, base, path, via=None, **kwargs):
    headers = {"X-Use-Server": via} if via else {}
    response = session.get(base + path, headers=headers, timeout=TIMEOUT, allow_redirects=False, **kwargs)
    if via:
        assert response.headers.get("X-Served-By") == via, (path, response.headers)
    return response


def _post(session, base, path, data, via, **kwargs):
    response = session.post(
        base + path, data=data, headers={"X-Use-Server": via}, timeout=TIMEOUT, allow_redirects=False, **kwargs
    )
    assert response.headers.get("X-Served-By") == via, (path, response.headers)
    return response


def _csrf(response) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)
    assert match, response.text[:2000]
    return match.group(1)


def _code(device) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=30, t0=0, digits=6):06d}"


def _sign_in(base, email, device, *, password_via, code_via) -> requests.Session:
    """The password through one instance, the second factor through the other: the half-signed-in session
    (password right, code still owed) must be known to both."""
    session = requests.Session()
    form = _get(session, base, "/accounts/login/", via=password_via)
    signed = _post(
        session,
        base,
        "/accounts/login/",
        {"login": email, "password": PASSWORD, "csrfmiddlewaretoken": _csrf(form)},
        via=password_via,
    )
    assert signed.status_code == 302, signed.text[:2000]
    asked = _get(session, base, signed.headers["Location"], via=code_via)
    while asked.status_code == 302 and not asked.headers["Location"].startswith("/accounts/otp/verify/"):
        asked = _get(session, base, asked.headers["Location"], via=code_via)
    assert asked.status_code == 302, f"{code_via} did not send the half-signed-in session to the code: {asked.url}"
    verify_url = asked.headers["Location"]
    assert verify_url.startswith("/accounts/otp/verify/"), verify_url  # not /accounts/login/: the session is known
    page = _get(session, base, verify_url, via=code_via)
    verified = _post(
        session, base, verify_url, {"otp_token": _code(device), "csrfmiddlewaretoken": _csrf(page)}, via=code_via
    )
    assert verified.status_code == 302, verified.text[:2000]
    return session


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_instances_behind_a_load_balancer_share_sessions_queue_and_database(scale_out, make_member, staff_user):
    from django_q.models import Task

    base, prefix = scale_out
    member = make_member("amina@example.com", first_name="Amina", last_name="Wanjiru", payroll_number="P001")
    member_device = TOTPDevice.objects.create(user=member.user, name="Phone", confirmed=True)
    clerk = staff_user(roles.CLERKS)
    clerk_device = TOTPDevice.objects.create(user=clerk, name="Office", confirmed=True)

    # Both instances are ready: database, the Redis cache and the Redis queue.
    for name in INSTANCES:
        ready = _get(requests.Session(), base, "/readyz", via=name)
        assert ready.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok", "queue": "ok"}}

    # 1. The member: password through app1, code through app2, then the dashboard through either.
    amina = _sign_in(base, member.user.email, member_device, password_via="app1", code_via="app2")
    for via in ("app1", "app2"):
        page = _get(amina, base, "/portal/", via=via)
        assert page.status_code == 200 and "Amina" in page.text
    # Round robin without a preference: every answer signed in, and both instances answered.
    served = set()
    for _ in range(4):
        page = _get(amina, base, "/portal/")
        assert page.status_code == 200 and "Amina" in page.text
        served.add(page.headers["X-Served-By"])
    assert served == set(INSTANCES)
    # Redis loses the sessions (restart, eviction): still signed in (cached_db reads them back from the database).
    client = redis_client()
    session_keys = list(client.scan_iter(match=f"{prefix}:*django.contrib.sessions*", count=1000))
    assert session_keys
    client.delete(*session_keys)
    assert _get(amina, base, "/portal/", via="app2").status_code == 200

    # 2. A clerk previews a check-off file through app1 (password through app2, code through app1).
    desk = _sign_in(base, clerk.email, clerk_device, password_via="app2", code_via="app1")
    period = (datetime.date.today().replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
    content = b"payroll_number,share_capital,deposits\nP001,500,1000\n"
    fields = {
        "period": period,
        "bank_account": str(bank_account_primary().pk),
        "received_on": datetime.date.today().isoformat(),
        "below_minimum_reason": "",
    }
    form = _get(desk, base, "/admin/savings/checkoff/", via="app1")
    preview = _post(
        desk,
        base,
        "/admin/savings/checkoff/",
        {**fields, "csrfmiddlewaretoken": _csrf(form)},
        via="app1",
        files={"file": ("october.csv", content, "text/csv")},
    )
    assert preview.status_code == 200 and "Confirm and post 1 rows" in preview.text, preview.text[:3000]
    confirm = {
        **fields,
        "sha256": re.search(r'name="sha256" value="([0-9a-f]{64})"', preview.text).group(1),
        "file_name": "october.csv",
        "confirm": "1",
        "csrfmiddlewaretoken": _csrf(preview),
    }

    # 3. It is posted through app1 while app2 serves the member.
    posted = {}
    poster = threading.Thread(
        target=lambda: posted.update(response=_post(desk, base, "/admin/savings/checkoff/", confirm, via="app1"))
    )
    poster.start()
    answers = []
    while poster.is_alive() or not answers:
        answers.append(_get(amina, base, "/portal/", via="app2").status_code)
    poster.join(timeout=TIMEOUT)
    assert set(answers) == {200}
    assert posted["response"].status_code == 302, posted["response"].text[:2000]

    # The member sees the deposit through app2 (posted in the request, or in the background if the file is queued).
    wait_for(
        lambda: "KES 1,000.00" in _get(amina, base, "/portal/", via="app2").text,
        timeout=60,
        interval=1,
        what="the deposit on the member's dashboard",
    )
    # The worker took the file's notice task from the Redis queue and ran it.
    notice = wait_for(
        lambda: Task.objects.filter(func__contains="checkoff", success=True).first(),
        timeout=60,
        interval=0.5,
        what="the worker to run the check-off's task",
    )
    assert notice.success
    assert client.llen(queue_key(prefix)) == 0
