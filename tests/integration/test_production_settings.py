"""Production settings read the environment and refuse insecure defaults; `check --deploy` is clean."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings.production",
    "SECRET_KEY": "k" * 20 + "-production-test-value-that-is-long-enough-xyz",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "portal.sacco.example",
    "DATABASE_URL": "sqlite:////tmp/sacco-prod-check.sqlite3",
    "EMAIL_HOST": "smtp.sacco.example",
    "EMAIL_PORT": "587",
    "EMAIL_HOST_USER": "portal",
    "EMAIL_HOST_PASSWORD": "secret",
    "DEFAULT_FROM_EMAIL": "SACCO <office@sacco.example>",
    "DATABASE_REPLICA_URL": "",  # none (CI's PostgreSQL run sets one for its own tests)
}


def _manage(*args, env):
    # Only the variables a server would have: nothing from the test environment (e.g. DJANGO_ALLOW_ASYNC_UNSAFE).
    clean = {k: v for k, v in os.environ.items() if k not in GOOD_ENV and not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_real_values():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=GOOD_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY is required"),
        ({"SECRET_KEY": "django-insecure-" + "x" * 50}, "known development value"),
        ({"SECRET_KEY": "short"}, "too short"),
        ({"DEBUG": "true"}, "DEBUG must be off"),
        ({"DEBUG": "maybe"}, "must be true or false"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS is required"),
        ({"ALLOWED_HOSTS": "*"}, "'*' is not allowed"),
        ({"DATABASE_URL": ""}, "DATABASE_URL is required"),
        ({"EMAIL_HOST": ""}, "EMAIL_HOST is required"),
        ({"DEFAULT_FROM_EMAIL": ""}, "DEFAULT_FROM_EMAIL is required"),
        ({"DATABASE_REPLICA_URL": "postgres://reports@replica:5432/sacco"}, "needs PostgreSQL for both"),
    ],
)
def test_refuses_to_start_with_a_missing_or_insecure_value(change, message):
    result = _manage("check", env={**GOOD_ENV, **change})
    assert result.returncode != 0
    assert message in result.stderr


def test_production_email_goes_through_smtp():
    code = (
        "from django.conf import settings; print(settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_USE_TLS)"
    )
    result = _manage("shell", "-c", code, env=GOOD_ENV)
    assert "smtp.EmailBackend smtp.sacco.example True" in result.stdout, result.stderr


def test_a_replica_url_adds_the_replica_database_and_its_router():
    env = {
        **GOOD_ENV,
        "DATABASE_URL": "postgres://sacco@primary:5432/sacco",
        "DATABASE_REPLICA_URL": "postgres://reports@replica:5432/sacco",
    }
    code = (
        "from django.conf import settings; r = settings.DATABASES['replica']; "
        "print(r['HOST'], r['USER'], settings.DATABASE_ROUTERS)"
    )
    result = _manage("shell", "-c", code, env=env)
    assert "replica reports ['portal.society.replica.PrimaryReplicaRouter']" in result.stdout, result.stderr
    without = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(sorted(settings.DATABASES), settings.DATABASE_ROUTERS)",
        env=GOOD_ENV,
    )
    assert "['default'] []" in without.stdout, without.stderr
