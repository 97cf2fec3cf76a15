"""Server time of ingest for a ~5 KB event, measured against a live gunicorn.

    .venv/bin/python bench/ingest_latency.py [--requests 500] [--encoding br]

Uses DATABASE_URL if set (e.g. PostgreSQL), else a throw-away SQLite file. Server time is
the `duration_ms` of the request log line (core.middleware.observed, around the view); the
client round trip
(a new TCP connection per request, or one kept alive with --keepalive) is printed beside it.
"""

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import brotli
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live import free_port, wait_for_port  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(master_pid: int) -> float:
    """User+system CPU of gunicorn's workers: server work, whatever the machine's load."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def five_kb_event() -> dict:
    frames = [
        {
            "filename": f"app/services/module_{i}.py",
            "abs_path": f"/srv/app/services/module_{i}.py",
            "module": f"app.services.module_{i}",
            "function": f"handle_step_{i}",
            "lineno": 100 + i,
            "context_line": f"    result = process(item_{i}, retries=3)",
            "pre_context": ["    # prepare", "    item = load(key)"],
            "post_context": ["    return result", ""],
            "in_app": True,
            "vars": {"key": f"'order-{i}'", "retries": "3"},
        }
        for i in range(14)
    ]
    return {
        "event_id": uuid.uuid4().hex,
        "timestamp": time.time(),
        "platform": "python",
        "level": "error",
        "release": "shop@2.4.1",
        "environment": "production",
        "exception": {
            "values": [
                {
                    "type": "KeyError",
                    "value": "'order-13'",
                    "mechanism": {"type": "generic", "handled": False},
                    "stacktrace": {"frames": frames},
                }
            ]
        },
        "tags": [["server_name", "web-1"], ["transaction", "/checkout"]],
        "sdk": {"name": "sentry.python", "version": "2.0.0"},
    }


def envelope(event: dict) -> bytes:
    payload = orjson.dumps(event)
    header = orjson.dumps({"event_id": event["event_id"]})
    item = orjson.dumps({"type": "event", "length": len(payload)})
    return header + b"\n" + item + b"\n" + payload + b"\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--encoding", choices=["identity", "br", "gzip"], default="identity")
    parser.add_argument("--keepalive", action="store_true", help="one connection, as SDKs do")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bugtrack-bench-"))
    port = free_port()
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'bench.sqlite3'}")
    env.update(
        DATA_DIR=str(tmp),
        BASE_URL=f"http://127.0.0.1:{port}",
        SECRET_KEY="bench",
        INGEST_EVENTS_PER_MINUTE="1000000",
        INGEST_MAX_QUEUE_DEPTH="1000000",
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    out = subprocess.run(
        [*manage, "createproject", f"bench-{uuid.uuid4().hex[:6]}"],
        env=env, check=True, cwd=ROOT, capture_output=True, text=True,
    ).stdout  # fmt: skip
    dsn = out.strip().splitlines()[-1]
    key = dsn.split("://")[1].split("@")[0]
    project_id = dsn.rsplit("/", 1)[1]

    server_log = tmp / "server.log"
    env["LOG_FORMAT"] = "json"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "bugtrack" / "gunicorn.conf.py"),
         "--bind", f"127.0.0.1:{port}", "--workers", "2", "bugtrack.wsgi"],
        env=env, cwd=ROOT, stdout=server_log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for_port(port, server)
        round_trips = []
        size = 0
        conn: http.client.HTTPConnection | None = None
        for i in range(args.requests + 50):
            body = envelope(five_kb_event())
            size = len(body)
            headers = {"X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7"}
            if args.encoding == "br":
                body, headers["Content-Encoding"] = brotli.compress(body, quality=4), "br"
            elif args.encoding == "gzip":
                import gzip

                body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
            started = time.perf_counter()
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("POST", f"/api/{project_id}/envelope/", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if not args.keepalive:
                conn.close()
                conn = None
            if response.status != 200:
                raise SystemExit(f"request {i} got {response.status}")
            if i == 49:  # the first ones warm up imports, connections and the key cache
                cpu_before = cpu_seconds(server.pid)
            if i >= 50:
                round_trips.append((time.perf_counter() - started) * 1000)
        cpu_per_request = (cpu_seconds(server.pid) - cpu_before) / args.requests * 1000
        time.sleep(0.5)  # let gunicorn write the access log
    finally:
        server.terminate()
        server.wait(timeout=20)
    server_ms = []
    for line in server_log.read_text().splitlines():
        record = orjson.loads(line) if line.startswith("{") else {}
        if record.get("view") == "ingest:envelope":
            server_ms.append(record["duration_ms"])
    server_ms = server_ms[50:]

    def describe(values: list[float]) -> str:
        values = sorted(values)
        p95 = values[int(len(values) * 0.95) - 1]
        return f"median {statistics.median(values):.2f} ms, p95 {p95:.2f} ms, n={len(values)}"

    db = env["DATABASE_URL"].split(":")[0]
    print(f"event envelope {size} bytes, encoding {args.encoding}, database {db}")
    print(f"server time (request log):    {describe(server_ms)}")
    print(f"client round trip:            {describe(round_trips)}")
    print(f"worker CPU per request:       {cpu_per_request:.2f} ms")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
