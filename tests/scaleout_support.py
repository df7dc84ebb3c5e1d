"""Helpers (not tests) for the tests that run the portal in other processes against the real Redis and database:
tests/integration/test_redis.py and tests/functional/test_scale_out.py.

Each run gets its own key prefix in Redis (TEST_DB_SUFFIX, the process id and a random part), used for the cache
keys and the django-q2 queue (REDIS_KEY_PREFIX in production settings), in a Redis database other than the default
0 (TEST_REDIS_URL, default database 15). Nothing is ever flushed: `redis_forget` deletes only the run's own keys,
so two runs side by side, or a developer's own Redis data, are left alone.
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_client():
    import redis

    return redis.Redis.from_url(redis_url(), socket_connect_timeout=1, socket_timeout=5)


def redis_missing() -> str | None:
    """Why Redis cannot be used here, or None when it answers."""
    try:
        redis_client().ping()
    except Exception as exc:  # any failure to reach it means the same: no Redis for these tests
        return f"Redis does not answer at {redis_url()} ({exc.__class__.__name__}); start redis-server"
    return None


def skip_or_fail(reason: str, *, required_by: str) -> None:
    """Skip with the reason, unless the environment variable `required_by` is 1 (CI): then fail with it."""
    if os.environ.get(required_by) == "1":
        pytest.fail(f"{reason} (and {required_by}=1)")
    pytest.skip(reason)


def run_prefix() -> str:
    return f"test{os.environ.get('TEST_DB_SUFFIX', '')}-{os.getpid()}-{secrets.token_hex(3)}"


def redis_keys(prefix: str) -> list[str]:
    return sorted(key.decode() for key in redis_client().scan_iter(match=f"*{prefix}*", count=1000))


def redis_forget(prefix: str) -> int:
    """Delete this run's keys (cache, sessions, queue, django-q2's stats): never a FLUSHDB."""
    client = redis_client()
    keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
    return client.delete(*keys) if keys else 0


def queue_key(prefix: str) -> str:
    """The django-q2 Redis broker's list for production settings with REDIS_KEY_PREFIX=prefix."""
    return f"django_q:portal-{prefix}:q"


def database_url() -> str:
    """The database pytest-django set up (its test name), as a DATABASE_URL for another process."""
    from django.db import connection

    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return "sqlite:///" + str(Path(config["NAME"]).resolve())
    auth = quote(config.get("USER") or "")
    if config.get("PASSWORD"):
        auth += ":" + quote(config["PASSWORD"])
    host = config.get("HOST") or "127.0.0.1"
    port = config.get("PORT") or "5432"
    return f"postgres://{auth}@{host}:{port}/{config['NAME']}"


def portal_env(*, prefix: str, folder: Path, database: str, settings: str = "portal.settings.scaleout", **extra):
    """The environment of a portal process under production(-like) settings on the given database and Redis."""
    # The test run's own replica (CI) serves another database name: these processes read everything from the primary.
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "REDIS_", "AWS_")) and key != "DATABASE_REPLICA_URL"
    }
    for name in ("media", "private", "mail"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    return {
        **clean,
        "DJANGO_SETTINGS_MODULE": settings,
        "PORTAL_SCALEOUT_TEST": "1",
        "SECRET_KEY": "scale-out-test-" + "k7Qz" * 12,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database,
        "EMAIL_HOST": "smtp.sacco.example",
        "DEFAULT_FROM_EMAIL": "SACCO <office@sacco.example>",
        "REDIS_URL": redis_url(),
        "REDIS_KEY_PREFIX": prefix,
        "MEDIA_ROOT": str(folder / "media"),
        "PRIVATE_MEDIA_ROOT": str(folder / "private"),
        "EMAIL_FILE_PATH": str(folder / "mail"),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


RESULT_MARK = "RESULT "


def django_script(code: str) -> str:
    """A script that sets Django up, runs `code` (which sets `result`) and prints it as one JSON line."""
    return f"import django, json\ndjango.setup()\nresult = None\n{code}\nprint({RESULT_MARK!r} + json.dumps(result))\n"


def run_django(code: str, env: dict, *, timeout: float = 60) -> object:
    """Run `code` in a new Python process with `env`; its `result`, or the test fails with its output."""
    done = subprocess.run(
        [PYTHON, "-c", django_script(code)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    return parse_result(done.returncode, done.stdout, done.stderr)


def parse_result(returncode: int, stdout: str, stderr: str) -> object:
    lines = [line for line in stdout.splitlines() if line.startswith(RESULT_MARK)]
    if returncode != 0 or not lines:
        pytest.fail(f"the process failed (exit {returncode}):\n{stdout[-3000:]}\n{stderr[-3000:]}")
    return json.loads(lines[-1][len(RESULT_MARK) :])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Processes:
    """Processes started for one test, each in its own process group with its output in a file; `stop_all` ends
    them (SIGTERM, then SIGKILL after a few seconds) and is safe to call twice."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, args: list[str], env: dict, *, stop_signal=signal.SIGTERM) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process in stop_all
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        process.log_file = log
        process.stop_signal = stop_signal
        self.started.append((name, process))
        return process

    def log(self, name: str, tail: int = 4000) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace")[-tail:] if path.exists() else ""

    def logs(self) -> str:
        return "\n".join(f"--- {name} ---\n{self.log(name)}" for name, _ in self.started)

    def check_running(self) -> None:
        for name, process in self.started:
            if process.poll() is not None:
                pytest.fail(f"{name} exited with {process.returncode}:\n{self.log(name)}")

    def stop_all(self) -> None:
        for _, process in self.started:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, process.stop_signal)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 8
        for _, process in self.started:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait(timeout=5)
        for _, process in self.started:
            process.log_file.close()


def wait_for(check, *, timeout: float, interval: float = 0.2, what: str = "the condition"):
    """Call `check` until it returns something truthy (returned) or `timeout` seconds pass (the test fails)."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = check()
        except Exception as exc:  # not ready yet (refused connection, missing row…): try again until the deadline
            last_error = exc
        else:
            if value:
                return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout} s waiting for {what} (last error: {last_error!r})")
