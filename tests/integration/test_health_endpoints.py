"""Load balancer probes (issue 17): /healthz and /readyz answer cheaply, anonymously, without cookies or redirects,
and /readyz says which dependency failed; /metrics (production's URLs) only for allowed addresses or the token."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper

from portal import health
from portal.members import roles

ROOT = Path(__file__).resolve().parents[2]
PROBES = ["/healthz", "/readyz"]
# The same list as portal/settings/production.py (checked for real by the production subprocess test below).
PRODUCTION_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]


@pytest.mark.django_db
def test_healthz_is_ok_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_reports_each_check_within_three_queries(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok", "queue": "ok"}}


@pytest.mark.django_db
def test_readyz_is_503_naming_the_database_when_its_check_fails(client, monkeypatch):
    def broken():
        raise OperationalError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "failed", "cache": "ok", "queue": "ok"},
        "failed": ["database"],
    }
    assert "connection refused" not in response.content.decode()  # details go to the log, not to the prober


@pytest.mark.django_db
def test_readyz_is_503_when_no_query_gets_through(client, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(CursorWrapper, "execute", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database", "queue"]  # the ORM broker's table is in the same database


@pytest.mark.django_db
def test_readyz_is_503_naming_the_cache_when_it_loses_values(client, monkeypatch):
    monkeypatch.setattr(health.cache, "get", lambda *args, **kwargs: None)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["cache"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PROBES)
def test_probes_set_no_cookie_even_for_a_signed_in_user_without_the_second_factor(client, make_user, path):
    # A staff user signed in with the password only is sent to the code page everywhere under /admin/ etc.; the
    # probes are not guarded, set no session, CSRF or language cookie, and redirect nowhere.
    user = make_user("ops@example.com", role=roles.ADMINISTRATORS)
    client.force_login(user)
    client.cookies.load({"django_language": "sw"})
    response = client.get(path)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert not response.cookies


@pytest.mark.django_db
@pytest.mark.parametrize("path", PROBES)
def test_probes_are_not_redirected_under_production_like_settings(client, settings, path):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = PRODUCTION_REDIRECT_EXEMPT
    settings.ALLOWED_HOSTS = ["portal.sacco.example"]
    # Over plain HTTP, by the instance's address (as load balancers probe), not by the site's name.
    response = client.get(path, HTTP_HOST="10.0.3.17:8000")
    assert response.status_code == 200
    assert "Location" not in response.headers
    assert "Set-Cookie" not in response.headers
    # Everything else still goes to HTTPS.
    assert client.get("/accounts/login/", HTTP_HOST="portal.sacco.example").status_code == 301


@pytest.mark.django_db
def test_probes_answer_head_and_are_not_under_a_language_prefix(client):
    assert client.head("/healthz").status_code == 200
    assert client.get("/sw/healthz/").status_code == 404


# --- /metrics ------------------------------------------------------------------------------------------------------
TOKEN = "metrics-token-0123456789abcdef0123456789abcdef"  # noqa: S105 - tests only


@pytest.fixture
def metrics_settings(settings):
    settings.ROOT_URLCONF = "portal.urls_production"
    settings.METRICS_ALLOWED_IPS = ["10.0.8.0/24", "192.0.2.7"]
    settings.METRICS_TOKEN = TOKEN
    return settings


@pytest.mark.django_db
def test_metrics_refuse_an_anonymous_scrape(client, metrics_settings):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 403
    # A forwarded header is written by anyone: it does not count.
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.0.8.5").status_code == 403
    wrong = {"REMOTE_ADDR": "203.0.113.9", "HTTP_AUTHORIZATION": "Bearer not-the-token"}
    assert client.get("/metrics", **wrong).status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION=TOKEN).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    "meta",
    [
        {"REMOTE_ADDR": "10.0.8.41"},
        {"REMOTE_ADDR": "192.0.2.7"},
        {"REMOTE_ADDR": "203.0.113.9", "HTTP_AUTHORIZATION": f"Bearer {TOKEN}"},
    ],
)
def test_metrics_for_an_allowed_address_or_the_token(client, metrics_settings, meta):
    response = client.get("/metrics", **meta)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"python_info" in response.content


@pytest.mark.django_db
def test_nobody_gets_metrics_when_nothing_is_configured(client, metrics_settings):
    metrics_settings.METRICS_ALLOWED_IPS = []
    metrics_settings.METRICS_TOKEN = ""
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_metrics_are_not_routed_outside_production_urls(client, db):
    assert client.get("/metrics/", REMOTE_ADDR="127.0.0.1").status_code == 404


# --- Under the real production settings ----------------------------------------------------------------------------
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings.production",
    "SECRET_KEY": "p" * 20 + "-production-health-test-value-long-enough-xyz",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "portal.sacco.example",
    "DATABASE_URL": "sqlite:////tmp/sacco-health-check.sqlite3",
    "EMAIL_HOST": "smtp.sacco.example",
    "DEFAULT_FROM_EMAIL": "SACCO <office@sacco.example>",
    "METRICS_ALLOWED_IPS": "10.0.8.0/24",
    "METRICS_TOKEN": TOKEN,
    "DATABASE_REPLICA_URL": "",  # none (CI's PostgreSQL run sets one for its own tests)
}
PRODUCTION_SCRIPT = """
import json, logging
from django.test import Client
c = Client()
h = c.get("/healthz", HTTP_HOST="10.0.3.17")
m_ip = c.get("/metrics", REMOTE_ADDR="10.0.8.3", HTTP_HOST="10.0.3.17")
m_token = c.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer " + {token!r}, HTTP_HOST="10.0.3.17")
m_none = c.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_HOST="10.0.3.17")
login = c.get("/accounts/login/", HTTP_HOST="portal.sacco.example")
print("RESULT", json.dumps({{"healthz": [h.status_code, h.get("Location"), "Set-Cookie" in h.headers],
    "metrics": [m_ip.status_code, m_token.status_code, m_none.status_code],
    "django_requests_counted": b"django_http_requests_total_by_method_total" in m_token.content,
    "login": [login.status_code, login.get("Location")]}}))
logging.getLogger("portal.health").warning("probe %s", "done")
"""


def test_probes_and_metrics_under_production_settings():
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and not k.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PRODUCTION_SCRIPT.format(token=TOKEN)],
        cwd=ROOT,
        env={**clean, **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    outcome = json.loads(next(line for line in lines if line.startswith("RESULT "))[len("RESULT ") :])
    assert outcome["healthz"] == [200, None, False]  # plain HTTP, by address: answered, not redirected
    assert outcome["metrics"] == [200, 200, 403]
    assert outcome["django_requests_counted"] is True
    assert outcome["login"] == [301, "https://portal.sacco.example/accounts/login/"]
    log = json.loads(next(line for line in lines if '"portal.health"' in line))  # JSON lines on standard output
    assert (log["level"], log["logger"], log["message"]) == ("WARNING", "portal.health", "probe done")
