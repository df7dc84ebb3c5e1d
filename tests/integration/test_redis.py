"""With REDIS_URL (issue 17): production settings put the cache, sessions and django-q2's queue in Redis, and
what must be shared by several app servers is — tested against the real Redis (127.0.0.1:6379, database 15 unless
TEST_REDIS_URL says otherwise; each run under its own key prefix), each side in its own process.

Skipped when Redis does not answer, except with REQUIRE_REDIS=1 (CI), where that fails."""

import os
import subprocess
import time

import pytest

from tests.scaleout_support import (
    PYTHON,
    ROOT,
    Processes,
    database_url,
    django_script,
    free_port,
    parse_result,
    portal_env,
    queue_key,
    redis_client,
    redis_forget,
    redis_keys,
    redis_missing,
    run_django,
    run_prefix,
    skip_or_fail,
    wait_for,
)

MISSING = redis_missing()
# Skipped at collection (before any test database is made) unless CI requires Redis: then the fixture fails.
pytestmark = pytest.mark.skipif(bool(MISSING) and os.environ.get("REQUIRE_REDIS") != "1", reason=str(MISSING))


@pytest.fixture
def prefix():
    if MISSING:
        skip_or_fail(MISSING, required_by="REQUIRE_REDIS")
    value = run_prefix()
    yield value
    redis_forget(value)


@pytest.fixture
def no_database(tmp_path):
    """A DATABASE_URL for processes that never query (production settings require one)."""
    return f"sqlite:///{tmp_path / 'unused.sqlite3'}"


SETTINGS_SCRIPT = """
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django_q.brokers import get_broker
from django_q.conf import Conf
cache.set("probe", "from another process", 60)
broker = get_broker()
from allauth.core.internal import ratelimit as allauth_ratelimit
from rest_framework.throttling import SimpleRateThrottle
ready = Client().get("/readyz", HTTP_HOST="10.0.3.17")
result = {
    # Where the rate limits count: the API throttles and allauth's use the default cache (Redis) too.
    "limits_in_default_cache": [SimpleRateThrottle.cache is cache, allauth_ratelimit.cache is cache],
    "cache": settings.CACHES["default"]["BACKEND"],
    "session": settings.SESSION_ENGINE,
    "broker": type(broker).__module__ + "." + type(broker).__name__,
    "orm": Conf.ORM,
    "queue": broker.list_key,
    "ping": bool(broker.ping()),
    "readyz": [ready.status_code, ready.json()["checks"]],
}
"""


def test_production_settings_with_redis_url_put_cache_sessions_and_queue_in_redis(prefix, no_database, tmp_path):
    env = portal_env(prefix=prefix, folder=tmp_path, database=no_database, settings="portal.settings.production")
    result = run_django(SETTINGS_SCRIPT, env)
    assert result == {
        "cache": "django_redis.cache.RedisCache",
        "limits_in_default_cache": [True, True],
        "session": "django.contrib.sessions.backends.cached_db",
        "broker": "django_q.brokers.redis_broker.Redis",
        "orm": None,
        "queue": queue_key(prefix),
        "ping": True,
        "readyz": [200, {"database": "ok", "cache": "ok", "queue": "ok"}],
    }
    # The value is in this Redis, under the run's prefix: another process reads what this one wrote.
    assert f"{prefix}:1:probe" in redis_keys(prefix)


def test_without_redis_url_production_keeps_the_database_queue_and_sessions(prefix, no_database, tmp_path):
    env = portal_env(prefix=prefix, folder=tmp_path, database=no_database, settings="portal.settings.production")
    del env["REDIS_URL"]
    code = """
from django.conf import settings
from django_q.conf import Conf
result = [settings.CACHES["default"]["BACKEND"], settings.SESSION_ENGINE, Conf.ORM]
"""
    assert run_django(code, env) == [
        "django.core.cache.backends.locmem.LocMemCache",
        "django.contrib.sessions.backends.db",
        "default",
    ]


READYZ_SCRIPT = """
import time
from django.test import Client
started = time.monotonic()
response = Client().get("/readyz", HTTP_HOST="10.0.3.17")
result = {"status": response.status_code, "body": response.json(), "seconds": time.monotonic() - started}
"""


def test_readyz_fails_naming_the_cache_and_the_queue_when_redis_is_gone(prefix, no_database, tmp_path):
    # (With Redis up, the test above gets 200 with every check ok.) Nothing listens on the port: not ready, within
    # the socket timeouts.
    env = portal_env(prefix=prefix, folder=tmp_path, database=no_database, settings="portal.settings.production")
    env["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
    down = run_django(READYZ_SCRIPT, env)
    assert down["status"] == 503
    assert down["body"]["failed"] == ["cache", "queue"]
    assert down["seconds"] < 10


SESSION_SCRIPT = """
import os
from importlib import import_module
from django.conf import settings
store = import_module(settings.SESSION_ENGINE).SessionStore
if os.environ["STEP"] == "create":
    session = store()
    session["otp_device_id"] = "otp_totp.totpdevice/1"
    session.create()
    session.save()
    result = session.session_key
else:
    from django_redis import get_redis_connection
    key = os.environ["SESSION_KEY"]
    result = [store(key).get("otp_device_id")]
    # Redis restarted or evicted the keys: every session key of this run is deleted, then read again.
    redis = get_redis_connection("default")
    redis.delete(*redis.scan_iter(match=os.environ["REDIS_KEY_PREFIX"] + ":*django.contrib.sessions*"))
    result.append(store(key).get("otp_device_id"))
"""


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_session_is_read_by_another_process_and_survives_redis_losing_it(prefix, tmp_path):
    env = portal_env(prefix=prefix, folder=tmp_path, database=database_url())
    key = run_django(SESSION_SCRIPT, {**env, "STEP": "create"})
    assert any(name.endswith(f"django.contrib.sessions.cached_db{key}") for name in redis_keys(prefix))
    # Another process reads it, and still does once Redis lost it (cached_db reads it back from the database).
    assert run_django(SESSION_SCRIPT, {**env, "STEP": "read", "SESSION_KEY": key}) == ["otp_totp.totpdevice/1"] * 2


ENQUEUE_SCRIPT = """
from django_q.models import OrmQ
from django_q.tasks import async_task
result = {"id": async_task("operator.add", 2, 3), "orm_rows": OrmQ.objects.count()}
"""


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_task_goes_through_redis_and_a_qcluster_worker_runs_it(prefix, tmp_path):
    from django_q.models import Task

    env = portal_env(prefix=prefix, folder=tmp_path, database=database_url())
    queued = run_django(ENQUEUE_SCRIPT, env)
    # Queued in Redis (the broker's list), not in the database table.
    assert queued["orm_rows"] == 0
    assert redis_client().llen(queue_key(prefix)) == 1

    processes = Processes(tmp_path)
    try:
        processes.start("qcluster", [PYTHON, "manage.py", "qcluster"], env)
        task = wait_for(
            lambda: processes.check_running() or Task.objects.filter(id=queued["id"]).first(),
            timeout=45,
            what="the worker to run the task",
        )
    finally:
        processes.stop_all()
    assert task.success and task.result == 5 and task.func == "operator.add"
    assert redis_client().llen(queue_key(prefix)) == 0


RATE_SCRIPT = """
import os, time
from portal.member_area.forms import guarantor_lookup_allowed
start = float(os.environ["START_AT"])
time.sleep(max(0, start - time.time()))
result = sum(guarantor_lookup_allowed(user_pk=4242) for _ in range(20))
"""


def test_rate_limits_count_once_across_two_processes_sharing_redis(prefix, no_database, tmp_path):
    """Two app servers each allow 20 guarantor lookups a minute of the same member: together only the limit (30)
    passes, as the count is one key in Redis (an atomic INCR), not one per process."""
    start = time.time() + 5
    if start % 60 > 50:  # the limit counts per clock minute: both bursts must fall in one
        start += 62 - start % 60
    env = portal_env(prefix=prefix, folder=tmp_path, database=no_database, START_AT=str(start))
    runs = [
        subprocess.Popen(
            [PYTHON, "-c", django_script(RATE_SCRIPT)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    allowed = []
    for run in runs:
        try:
            out, err = run.communicate(timeout=90)
        finally:
            run.kill()
        allowed.append(parse_result(run.returncode, out.decode(), err.decode()))
    assert sum(allowed) == 30, allowed
    assert [key for key in redis_keys(prefix) if "guarantor-search:4242:" in key]
