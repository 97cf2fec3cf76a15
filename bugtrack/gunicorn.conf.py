"""gunicorn config: `gunicorn -c bugtrack/gunicorn.conf.py bugtrack.wsgi`.

Every knob has an environment override; the defaults suit ingest (short requests, many SDKs).
"""

import multiprocessing
import os
import sys
from pathlib import Path

# Run from anywhere (systemd, the Docker entrypoint): the repo root must be importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bugtrack.environment import DEFAULT_BASE_URL, default_bind, read_env_file  # noqa: E402
from core import multiproc  # noqa: E402
from core.logging import log_format, logging_config  # noqa: E402

# The same `.env` and BIND default as settings (BIND, else 127.0.0.1 on BASE_URL's port).
read_env_file()
bind = os.environ.get("BIND") or default_bind(os.environ.get("BASE_URL", DEFAULT_BASE_URL))
# gthread workers with keep-alive: SDKs reuse connections, several inserts per process wait
# for their commit at once, and the wait for a thread is measured for load shedding
# (bugtrack/gunicorn_classes.py, ingest/shedding.py). A process per core, +1.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
worker_class = "bugtrack.gunicorn_classes.TimedThreadWorker"
threads = int(os.environ.get("WEB_THREADS", 4))
# SDKs send in the background and retry; a slow client must not pin a worker for long.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
# Off by default: each recycled worker leaves a metrics file behind (multiprocess mode).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 0))
max_requests_jitter = max_requests // 10
# Bounded headers. The worker's main thread buffers each request (head and, up to 1 MiB,
# body) before a thread is taken, within WEB_HEADER_TIMEOUT / WEB_BODY_TIMEOUT; larger
# bodies are streamed to the ingest view, which stops at INGEST_MAX_*. In production put
# nginx in front as well (docker/nginx.conf, docs/deploy.md).
limit_request_line = 8190
limit_request_field_size = 16384
limit_request_fields = 100
# Forwarded headers are trusted only from the local proxy (see docs/deploy.md).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# gunicorn >= 27 opens a control socket at a fixed per-user path; several servers on one
# machine (tests, benchmarks) would fight over it, and we don't use it.
control_socket_disable = True

# Logs: our JSON (or, on a terminal, text) format on stdout, as in settings; the request log
# line comes from Django.
accesslog = None
logger_class = "bugtrack.gunicorn_classes.NoAccessLogLogger"
errorlog = "-"
logconfig_dict = logging_config(
    log_format(os.environ.get("LOG_FORMAT", "")), os.environ.get("LOG_LEVEL", "INFO").upper()
)

# Prometheus multiprocess mode: all workers write their counters into one directory that
# /metrics sums. `serve` sets it for gunicorn and the worker; otherwise we make our own.
_own_metrics_dir = multiproc.ensure_dir()


def when_ready(server) -> None:
    # A stop of the whole server makes the workers stop listening before they finish.
    from bugtrack.gunicorn_classes import install_stop_hooks

    install_stop_hooks(server)


def child_exit(server, worker) -> None:
    multiproc.mark_dead(worker.pid)


def on_exit(server) -> None:
    multiproc.remove_dir(_own_metrics_dir)
