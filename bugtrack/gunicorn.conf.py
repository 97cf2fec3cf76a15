"""gunicorn config: `gunicorn -c bugtrack/gunicorn.conf.py bugtrack.wsgi`."""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
# Sync workers: ingest is one short insert, so a process per core (+1 to cover I/O waits).
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
worker_class = "sync"
# SDKs retry on timeouts; a slow client must not pin a worker for long.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so that any slow leak stays bounded.
max_requests = 20000
max_requests_jitter = 2000
# Large-but-bounded header limits; the body is streamed by the view, never buffered whole.
limit_request_field_size = 16384
accesslog = None
errorlog = "-"
# gunicorn >= 27 opens a control socket at a fixed per-user path; several servers on one
# machine (tests, benchmarks) would fight over it, and we don't use it.
control_socket_disable = True
