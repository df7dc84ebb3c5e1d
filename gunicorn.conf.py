"""Gunicorn's configuration for the portal (issue 17); every value can be set from the environment.

Run: `gunicorn` from the repository root (this file is read automatically), with the production environment
(docs/operations.md "Processes"). Gunicorn reads this as Python, so the names below are its settings.
"""

import os

wsgi_app = "portal.wsgi:application"

# Where to listen: BIND wins ("0.0.0.0:8000", "unix:/run/portal.sock"), else every address on PORT (default 8000).
bind = [os.environ.get("BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"]

# Processes: WEB_CONCURRENCY (the usual name on platforms) or 2. Each worker holds its own database connection(s).
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))

# A request still running after `timeout` seconds gets its worker restarted; on a restart or deploy, workers have
# `graceful_timeout` seconds to finish what they are doing. Idle keep-alive connections from the proxy are held for
# `keepalive` seconds.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))

# Recycle workers now and then (spread out by the jitter) so a slow leak cannot grow for ever.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "100"))

# Logs to standard output/error, for the process manager or container runtime to collect.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(D)sus "%(f)s" "%(a)s" request_id=%({x-request-id}i)s'

# Which proxies may say the request came over HTTPS (X-Forwarded-Proto): the TLS-terminating proxy's address(es),
# comma-separated, or "*" when only the proxy can reach this port. Default: a proxy on the same machine.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Temporary files of the worker heartbeat on a RAM disk when there is one (containers often have a slow /tmp).
# Gunicorn's own advice; the heartbeat files hold no data.
if os.path.isdir("/dev/shm"):  # noqa: S108
    worker_tmp_dir = "/dev/shm"  # noqa: S108


def child_exit(server, worker):
    """With several workers each has its own metrics; PROMETHEUS_MULTIPROC_DIR makes /metrics add them up, and a
    dead worker's files must be marked so (docs/operations.md "Metrics")."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
