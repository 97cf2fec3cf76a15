"""CPU per ingest request of the WSGI application itself, in-process (no gunicorn, no k6).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bt_ingest_cpu \
        .venv/bin/python bench/ingest_cpu.py [--requests 3000] [--profile]

Calls `bugtrack.wsgi.application` with gzip envelopes of the benchmark's sentry-sdk event
(fresh event ids) and reports process CPU per request, median of three rounds. The
database must exist; it is migrated and gets a new project. `--profile` prints cProfile
(CPU timer) of one more round. Used for the before/after figures in docs/performance.md.
"""

import argparse
import cProfile
import gzip
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bugtrack.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")  # as in bench/run.py
os.environ.setdefault("INGEST_EVENTS_PER_MINUTE", "100000000")


def envelopes(template: dict, count: int) -> list[bytes]:
    bodies = []
    for _ in range(count):
        event = {**template, "event_id": uuid.uuid4().hex}
        payload = orjson.dumps(event)
        item = orjson.dumps({"type": "event", "length": len(payload)})
        header = orjson.dumps({"event_id": event["event_id"]})
        bodies.append(gzip.compress(b"\n".join([header, item, payload]) + b"\n"))
    return bodies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="per round")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command

    from bench.generate import capture_sdk_event
    from bugtrack.wsgi import application
    from projects.services import create_project

    call_command("migrate", verbosity=0)
    project = create_project(f"cpu-{uuid.uuid4().hex[:8]}")
    key = project.keys.get().public_key
    with tempfile.TemporaryDirectory() as tmp:
        template = capture_sdk_event(Path(tmp))
    auth = f"Sentry sentry_version=7, sentry_key={key}, sentry_client=sentry.python/2"

    def call(body: bytes) -> None:
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": f"/api/{project.pk}/envelope/",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": "application/x-sentry-envelope",
            "HTTP_CONTENT_ENCODING": "gzip",
            "HTTP_X_SENTRY_AUTH": auth,
        }
        status: list[str] = []
        b"".join(application(environ, lambda s, h, e=None: status.append(s)))
        if not status[0].startswith("200"):
            raise RuntimeError(f"ingest answered {status[0]}")

    for body in envelopes(template, 200):  # warm-up: imports, connection, prepared statement
        call(body)
    rounds = []
    for _ in range(3):
        bodies = envelopes(template, args.requests)
        started = time.process_time()
        for body in bodies:
            call(body)
        rounds.append((time.process_time() - started) / args.requests * 1000)
    print(f"CPU per request: median {statistics.median(rounds):.3f} ms "
          f"(rounds: {', '.join(f'{r:.3f}' for r in rounds)})")  # fmt: skip
    if args.profile:
        bodies = envelopes(template, args.requests)
        profiler = cProfile.Profile(time.process_time)
        profiler.runcall(lambda: [call(b) for b in bodies])
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
