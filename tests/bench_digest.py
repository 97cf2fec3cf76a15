"""Digest throughput on a real database (not a test; run by hand).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bt_digest_bench \\
        .venv/bin/python tests/bench_digest.py [--events 5000] [--batch-size 500] [--runs 1]

Queues N ~4 KB sentry-sdk-like events (90% into 20 issues, 10% into unique ones), then times
digest_batch() until the queue is empty: wall time, this process's CPU and, on a local
PostgreSQL, the server backend's CPU too. Like the worker, it runs the payload dictionaries'
maintenance after each batch (training counts as worker CPU). On PostgreSQL it also prints
the size of `issues_event` per event (run it on a fresh database for that figure). With
--runs, the whole thing is repeated (new project each time) and the median per-event
figures are printed last.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bugtrack.settings")

import django  # noqa: E402

django.setup()

import orjson  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from digest.batch import digest_batch  # noqa: E402
from events import dictionaries  # noqa: E402
from ingest.models import IntakeEvent  # noqa: E402
from projects.models import Project  # noqa: E402
from tests.digest_factories import python_error  # noqa: E402

# A handful of browsers, as real traffic repeats them (the digest parses and caches them).
AGENTS = [
    f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    f"Chrome/{120 + n}.0.0.0 Safari/537.36"
    for n in range(5)
]


def backend_cpu() -> float:
    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(total: int, batch_size: int) -> tuple[float, float]:
    """One run; returns (worker, database) CPU milliseconds per event."""
    project = Project.objects.create(name="bench", slug=f"bench-{uuid.uuid4().hex[:8]}")
    now = datetime.now(UTC)
    rows = []
    for i in range(total):
        kind = i % 20 if i % 10 else 1000 + i
        event = python_error(
            type_=f"Error{kind}",
            value=f"failure {i}",
            release="1.0.0",
            environment="production",
            tags={"browser": "Firefox 120", "url": f"/orders/{i}", "customer": f"c{i % 50}"},
            user={"id": str(i % 200)},
            request={
                "url": f"https://shop.example/orders/{i}",
                "headers": {"User-Agent": AGENTS[i % 5]},
            },
            breadcrumbs={"values": [{"message": "x" * 60, "category": "query"}] * 40},
        )
        event_id = uuid.uuid4().hex
        body = orjson.dumps({**event, "event_id": event_id})
        rows.append(
            IntakeEvent(project_id=project.pk, event_id=event_id, received_at=now, payload=body)
        )
    IntakeEvent.objects.bulk_create(rows, batch_size=1000)
    size = sum(len(r.payload) for r in rows) / total
    cpu0, wall0, db0 = time.process_time(), time.perf_counter(), backend_cpu()
    batches = 0
    while digest_batch(batch_size):
        dictionaries.maintain()
        batches += 1
    cpu, wall, db = time.process_time() - cpu0, time.perf_counter() - wall0, backend_cpu() - db0
    rate = total / wall
    print(
        f"{connection.vendor}: {total} events of {size:.0f} B in {batches} batches, "
        f"{wall:.2f}s = {rate:.0f} events/s; worker CPU {cpu:.2f}s, database backend CPU {db:.2f}s"
    )
    return cpu * 1000 / total, db * 1000 / total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("events", nargs="?", type=int, default=5000)
    parser.add_argument("--events", type=int, dest="events_opt")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    total = args.events_opt or args.events
    call_command("migrate", verbosity=0)
    results = [run(total, args.batch_size) for _ in range(args.runs)]
    worker = statistics.median(r[0] for r in results)
    db = statistics.median(r[1] for r in results)
    print(
        f"median of {args.runs}, batch {args.batch_size}: CPU ms per event: worker {worker:.3f}, "
        f"database {db:.3f}, both {worker + db:.3f}"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_total_relation_size('issues_event'), (SELECT count(*) FROM issues_event)"
            )
            size, count = cursor.fetchone()
        print(f"issues_event bytes per event: {size / count:.0f} ({count} events)")


if __name__ == "__main__":
    main()
