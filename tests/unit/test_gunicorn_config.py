"""gunicorn.conf.py (issue 17) takes its values from the environment, with safe defaults."""

import runpy
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
VARIABLES = ("BIND", "PORT", "WEB_CONCURRENCY", "GUNICORN_TIMEOUT", "FORWARDED_ALLOW_IPS")


def _load(monkeypatch, **env):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONFIG))


def test_defaults(monkeypatch):
    config = _load(monkeypatch)
    assert config["wsgi_app"] == "portal.wsgi:application"
    assert config["bind"] == ["0.0.0.0:8000"]
    assert config["workers"] == 2
    assert config["timeout"] == 30
    assert config["accesslog"] == "-"  # standard output
    assert config["forwarded_allow_ips"] == "127.0.0.1,::1"


def test_values_from_the_environment(monkeypatch):
    config = _load(monkeypatch, PORT="9000", WEB_CONCURRENCY="5", GUNICORN_TIMEOUT="60", FORWARDED_ALLOW_IPS="10.0.0.2")
    assert config["bind"] == ["0.0.0.0:9000"]
    assert (config["workers"], config["timeout"], config["forwarded_allow_ips"]) == (5, 60, "10.0.0.2")
    assert _load(monkeypatch, BIND="unix:/run/portal.sock", PORT="9000")["bind"] == ["unix:/run/portal.sock"]
