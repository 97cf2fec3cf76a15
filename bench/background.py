"""CPU of the background processes (`worker` + `sendalerts`) without gunicorn or k6.

    .venv/bin/python bench/background.py --pg-url postgres://postgres@127.0.0.1:5432/bt_bench_x \\
        [--rate 0] [--duration 60] [--runs 3]

Fresh database -> migrate -> one project -> start the background commands of `manage.py
serve` (DEBUG off, as bench/run.py does) -> warm up -> for `duration` seconds feed the intake
queue at `rate` events/s (0: idle, an empty queue) -> measure the CPU (/proc utime+stime) of
each command and of the PostgreSQL backends serving it (told apart by `PGAPPNAME`). The
feeder inserts the benchmark's own events (bench/generate.py's sentry-sdk template, 90% into
20 issues) straight into the queue every 20 ms; its own CPU is not counted. The queue depth,
sampled every 20 ms, gives the mean digest delay by Little's law (depth / rate).
"""

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402

from bench import generate, procstat  # noqa: E402
from bench.database import DEFAULT_PG_URL, PostgresDatabase  # noqa: E402
from bench.servers import ROOT, background_commands, manage, server_env  # noqa: E402

TICK = 0.02  # feeder period, seconds


class Feeder:
    """Queues events as ingest would (one insert per tick), from one template."""

    def __init__(self, url: str, project_id: int, workdir: Path) -> None:
        self.conn = psycopg.connect(url, autocommit=True, application_name="bt-bench-feeder")
        self.project_id = project_id
        self.template = generate.with_placeholders(generate.load_template("small", workdir)[0])
        self.rng = random.Random(7)
        self.fed = 0

    def _payload(self) -> tuple[str, bytes]:
        k = self.rng.randrange(20)
        if self.rng.random() < 0.9:
            function = b"process_batch_%d" % k
        else:
            function = b"handle_%08x" % self.rng.getrandbits(32)
        event_id = uuid.uuid4().hex
        body = (
            self.template.replace(generate.EVENT_ID, event_id.encode())
            .replace(generate.TYPE, generate.HOT_TYPES[k].encode())
            .replace(generate.FUNCTION, function)
            .replace(generate.TIMESTAMP, b"%.6f" % time.time())
        )
        return event_id, body

    def feed(self, count: int) -> None:
        if count <= 0:
            return
        now = datetime.now(UTC)
        rows = [(self.project_id, *self._payload(), now, "") for _ in range(count)]
        with self.conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO ingest_intakeevent (project_id, event_id, payload, received_at, "
                "request_id) VALUES (%s, %s, %s, %s, %s)",
                rows,
            )
        self.fed += count

    def depth(self) -> int:
        return self.conn.execute("SELECT count(*) FROM ingest_intakeevent").fetchone()[0]

    def backends(self) -> dict[str, list[int]]:
        rows = self.conn.execute(
            "SELECT application_name, pid FROM pg_stat_activity WHERE application_name LIKE "
            "'bt-bench-bg-%%'"
        ).fetchall()
        found: dict[str, list[int]] = {}
        for name, pid in rows:
            found.setdefault(name.removeprefix("bt-bench-bg-"), []).append(pid)
        return found


def one_run(args: argparse.Namespace, workdir: Path) -> dict[str, float]:
    db = PostgresDatabase(args.pg_url)
    db.recreate()
    env = server_env(db.url, "http://127.0.0.1:9", workdir / "data")
    manage(env, "migrate", "--noinput")
    dsn = manage(env, "createproject", "Bench").strip().splitlines()[-1]
    project_id = int(dsn.rsplit("/", 1)[1])
    feeder = Feeder(db.url, project_id, workdir)
    procs: dict[str, subprocess.Popen] = {}
    for n, command in enumerate(background_commands(1)):
        name = f"{command[0]}{n}"
        procs[name] = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), *command],
            cwd=ROOT,
            env={**env, "PGAPPNAME": f"bt-bench-bg-{name}"},
        )
    try:
        feeder.feed(50)  # warm-up: code loaded, connections open
        deadline = time.monotonic() + 30
        while feeder.depth() or len(feeder.backends()) < len(procs):
            if time.monotonic() > deadline:
                raise RuntimeError("warm-up events were not digested")
            time.sleep(0.1)
        time.sleep(3)
        backends = feeder.backends()
        cpu0 = {n: procstat.cpu_seconds(p.pid) or 0.0 for n, p in procs.items()}
        pg0 = {n: sum(procstat.cpu_seconds(pid) or 0.0 for pid in backends[n]) for n in backends}
        fed0, depths = feeder.fed, []
        started = time.monotonic()
        while (elapsed := time.monotonic() - started) < args.duration:
            feeder.feed(int(elapsed * args.rate) - (feeder.fed - fed0))
            depths.append(feeder.depth() if args.rate else 0)
            time.sleep(TICK - (time.monotonic() - started) % TICK)
        while args.rate and feeder.depth():
            time.sleep(0.05)
        cpu = {n: (procstat.cpu_seconds(p.pid) or 0.0) - cpu0[n] for n, p in procs.items()}
        pg = {
            n: sum(procstat.cpu_seconds(pid) or 0.0 for pid in backends[n]) - pg0[n]
            for n in backends
        }
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            proc.wait(timeout=30)
        feeder.conn.close()
        db.close()
    result = {f"{n} cpu": v for n, v in cpu.items()} | {f"{n} pg": v for n, v in pg.items()}
    result["events"] = feeder.fed - fed0
    result["mean queue"] = statistics.fmean(depths) if depths else 0.0
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--rate", type=float, default=0, help="events/s (0: idle)")
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bt-bg-") as tmp:
        results = [one_run(args, Path(tmp) / str(n)) for n in range(args.runs)]
    for r in results:
        print({k: round(v, 3) for k, v in r.items()})
    keys = [k for k in results[0] if k not in ("events", "mean queue")]
    med = {k: statistics.median(r[k] for r in results) for k in keys}
    events = statistics.median(r["events"] for r in results)
    total = sum(med.values())
    print(f"median of {args.runs}, {args.duration:.0f} s at {args.rate:g} events/s:")
    for k, v in med.items():
        print(f"  {k}: {v:.3f} CPU-s" + (f" = {v * 1000 / events:.3f} ms/event" if events else ""))
    line = f"  all: {total:.3f} CPU-s"
    if events:
        depth = statistics.median(r["mean queue"] for r in results)
        line += f" = {total * 1000 / events:.3f} ms/event; mean queue {depth:.0f}"
        line += f" (~{depth / args.rate * 1000:.0f} ms delay)"
    print(line)


if __name__ == "__main__":
    main()
