"""Bugtrack's benchmark: `make bench` (ingest + digest, end to end) and `make bench-ui`.

One ingest run: fresh database -> migrate -> createproject -> generate bodies -> start
gunicorn + digest worker(s) (DEBUG off) -> warm up -> k6 for a fixed time -> poll until every
accepted event is digested -> measure CPU (/proc), peak RSS, storage -> write
bench/results/<time>-<name>.json (ignored by git) and print a table. See docs/performance.md.
"""

import argparse
import resource
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import procstat, report  # noqa: E402
from bench.database import DEFAULT_PG_URL, STORAGE_TABLES, open_database  # noqa: E402
from bench.generate import Corpus, generate  # noqa: E402
from bench.loadgen import run_k6  # noqa: E402
from bench.servers import Layout, free_port, manage, post, server_env  # noqa: E402

WARMUP_EVENTS = 40
PG_AUX = ("checkpointer", "background writer", "walwriter", "autovacuum")


class Sampler(threading.Thread):
    """Once per `interval`: queue depth and event count, and the CPU of every process."""

    def __init__(self, db, layout: Layout, app: procstat.CpuTracker, pg: procstat.CpuTracker,
                 aux: procstat.CpuTracker, interval: float) -> None:  # fmt: skip
        super().__init__(daemon=True)
        self.db, self.layout, self.interval = db, layout, interval
        self.app, self.pg, self.aux = app, pg, aux
        self.series: list[tuple[float, int, int]] = []  # (time, queued, digested)
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def sample(self) -> tuple[int, int]:
        with self.lock:
            queued, digested = self.db.counts()
            self.series.append((time.time(), queued, digested))
            self.app.sample(app_pids(self.layout))
            self.pg.sample(self.db.backend_pids())
            self.aux.sample(pg_aux_pids())
            return queued, digested

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            self.sample()


WEB_PIDS: set[int] = set()  # every gunicorn process seen (master and workers, incl. recycled)


def app_pids(layout: Layout) -> list[int]:
    web = procstat.descendants(layout.gunicorn.pid)
    WEB_PIDS.update(web)
    return web + [pid for w in layout.workers for pid in procstat.descendants(w.pid)]


def pg_aux_pids() -> list[int]:
    return [
        pid
        for pid in procstat.all_pids()
        if procstat.cmdline(pid).startswith("postgres:")
        and any(name in procstat.cmdline(pid) for name in PG_AUX)
    ]


def warm_up(layout: Layout, project_id: int, key: str, sdk: str, bodies_dir: Path) -> None:
    """Load code and open connections in every gunicorn worker before measuring."""
    import orjson

    index = orjson.loads((bodies_dir / "index.json").read_bytes())[:WARMUP_EVENTS]
    data = (bodies_dir / "bodies.bin").read_bytes()
    url = f"{layout.url}/api/{project_id}/envelope/"
    with ThreadPoolExecutor(4) as pool:
        statuses = list(
            pool.map(lambda ol: post(url, data[ol[0] : ol[0] + ol[1]], key, sdk), index)
        )
    if any(status != 200 for status in statuses):
        raise RuntimeError(f"warm-up requests were not accepted: statuses {set(statuses)}")


def wait_digested(sampler: Sampler, expected: int, stall_s: float, poll_s: float = 0.25):
    """Poll until the queue is empty and `expected` events exist; (done_at, queued, events)."""
    last_progress, last_events = time.time(), -1
    while True:
        queued, events = sampler.sample()
        now = time.time()
        if queued == 0 and events >= expected:
            return now, queued, events
        if events != last_events:
            last_progress, last_events = now, events
        elif now - last_progress > stall_s:
            return None, queued, events
        sampler.layout.check_alive()
        time.sleep(poll_s)


def make_bodies(args: argparse.Namespace, workdir: Path) -> tuple[Path, Corpus]:
    """The request bodies for every run of this invocation (each run starts a fresh DB)."""
    pool = args.events or int(WARMUP_EVENTS + args.duration * (args.rate or args.max_rate) * 1.2)
    print(f"generating {pool} {args.size} envelopes ...", flush=True)
    bodies_dir = workdir / f"bodies-{args.size}"
    return bodies_dir, generate(bodies_dir, pool, args.size, args.hot_issues, args.hot_ratio)


def ingest_run(
    args: argparse.Namespace, vus: int, workdir: Path, bodies_dir: Path, corpus: Corpus
) -> dict[str, Any]:
    WEB_PIDS.clear()
    db = open_database(args.db, args.pg_url, workdir)
    db.recreate()
    port = free_port()
    env = server_env(db.url, f"http://127.0.0.1:{port}", workdir / "data", **args.env)
    if args.web_workers:
        env["WEB_CONCURRENCY"] = str(args.web_workers)
    manage(env, "migrate", "--noinput")
    dsn = manage(env, "createproject", "Bench").strip().splitlines()[-1]
    key, project_id = dsn.split("://", 1)[1].split("@")[0], int(dsn.rsplit("/", 1)[1])
    storage_before = db.storage()

    layout = Layout(env, port, args.digest_workers, workdir / "logs", tuple(args.gunicorn_arg))
    app, pg, aux = procstat.CpuTracker(), procstat.CpuTracker(), procstat.CpuTracker()
    sampler = Sampler(db, layout, app, pg, aux, interval=1.0)
    try:
        warm_up(layout, project_id, key, corpus.sdk, bodies_dir)
        if wait_digested(sampler, WARMUP_EVENTS, args.stall)[0] is None:
            raise RuntimeError("the warm-up events were never digested; is the worker running?")
        sampler.series.clear()
        with sampler.lock:
            app.start(app_pids(layout))
            pg.start(db.backend_pids())
            aux.start(pg_aux_pids())
            rss_start = {pid: procstat.peak_rss_bytes(pid) or 0 for pid in app.latest}
            names = {pid: procstat.cmdline(pid)[:70] for pid in app.latest}
        measure_from = time.time()
        sampler.start()
        print(f"k6: {vus} VUs{f', {args.rate}/s' if args.rate else ''} for {args.duration}s")
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        load = run_k6(
            url=layout.url, project_id=project_id, key=key, sdk=corpus.sdk,
            bodies_dir=bodies_dir, offset=WARMUP_EVENTS, duration_s=args.duration,
            vus=vus, rate=args.rate, max_vus=args.max_vus,
            log_path=workdir / "logs" / f"k6-{vus}.log",
        )  # fmt: skip
        children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        k6_cpu = (children_after.ru_utime + children_after.ru_stime) - (
            children_before.ru_utime + children_before.ru_stime
        )
        load_series = list(sampler.series)
        done_at, queued, events = wait_digested(sampler, WARMUP_EVENTS + load.accepted, args.stall)
        sampler.stopping.set()
        sampler.join()
        sampler.sample()
        first = db.first_received_at(after=measure_from) or load.started_at
        issues = db.count_issues()
        rss_end = {pid: procstat.peak_rss_bytes(pid) or 0 for pid in app.latest}
    finally:
        sampler.stopping.set()
        layout.stop()
    storage_after = db.storage()
    pg_info = {"version": db.server_version(), **db.settings()}
    db.close()

    digested = events - WARMUP_EVENTS
    thousand = max(load.accepted, 1) / 1000
    e2e_s = (done_at - first) if done_at else None

    def grown(tables: tuple[str, ...]) -> int:
        return sum(storage_after.get(t, 0) - storage_before.get(t, 0) for t in tables)

    problems = []
    if done_at is None:
        problems.append(f"digest stalled: {queued} still queued, {digested} of {load.accepted}")
    if load.bodies_exhausted:
        problems.append(f"k6 ran out of bodies {load.bodies_exhausted} times: raise --max-rate")
    if load.without_retry_after:
        problems.append(f"{load.without_retry_after} 429/503 answers had no Retry-After")
    if load.no_answer:
        problems.append(f"{load.no_answer} requests got no answer (timeouts/refused)")
    return {
        "kind": "ingest",
        "name": f"{args.db}-{args.size}-{f'rate{args.rate}' if args.rate else f'vus{vus}'}",
        "machine": report.machine(),
        "commit": report.commit(),
        "command": report.command_line(),
        "config": {
            "database": args.db,
            "database_info": pg_info,
            "event_size": args.size,
            "vus": vus,
            "rate": args.rate,
            "duration_s": args.duration,
            "web_workers": env.get("WEB_CONCURRENCY", "gunicorn.conf.py default"),
            "digest_workers": args.digest_workers,
            "hot_issues": args.hot_issues,
            "hot_ratio": args.hot_ratio,
            "env": args.env,
        },  # fmt: skip
        "corpus": asdict(corpus),
        "load": asdict(load) | {"accepted_per_s": round(load.accepted / load.duration_s, 1)},
        "digest": {
            "digested": digested,
            "all_accepted_digested": done_at is not None and digested >= load.accepted,
            "end_to_end_s": round(e2e_s, 2) if e2e_s else None,
            "digested_per_s_end_to_end": round(load.accepted / e2e_s, 1) if e2e_s else None,
            "drain_after_load_s": round(done_at - load.ended_at, 2) if done_at else None,
            "queue_max": max((q for _, q, _ in load_series), default=0),
            "queue_at_load_end": load_series[-1][1] if load_series else None,
            "queue_series": [(round(t - first, 1), q, e) for t, q, e in sampler.series],
            "issues": issues,
        },
        "cpu": {
            "app_s": round(app.seconds(), 2),
            "app_s_per_1000_events": round(app.seconds() / thousand, 3),
            "web_s_per_1000_events": round(app.seconds(WEB_PIDS) / thousand, 3),
            "background_s_per_1000_events": round(
                (app.seconds() - app.seconds(WEB_PIDS)) / thousand, 3
            ),
            "pg_backends_s": round(pg.seconds(), 2),
            "pg_backends_s_per_1000_events": round(pg.seconds() / thousand, 3),
            "pg_aux_s_shared": round(aux.seconds(), 2),
            "k6_s": round(k6_cpu, 2),
            "app_processes": len(app.latest),
            "per_process_s": {
                f"{pid} {names.get(pid, '')}": round(app.latest[pid] - app.baseline[pid], 2)
                for pid in app.latest
            },
            "pg_backends": len(pg.latest),
        },
        "memory": {
            "peak_rss_max_bytes": app.max_peak_rss(),
            "peak_rss_sum_bytes": app.total_peak_rss(),
            "rss_growth_bytes": {
                f"{pid} {names[pid]}": rss_end.get(pid, 0) - rss_start.get(pid, 0)
                for pid in rss_start
            },
        },
        "storage": {
            # Events table with its indexes and TOAST: what each stored event costs.
            "event_bytes_per_event": round(grown(("issues_event",)) / max(events, 1)),
            # Plus the (deleted-from, not yet vacuumed) intake queue and the issue tables.
            "all_tables_bytes_per_event": round(grown(STORAGE_TABLES) / max(events, 1)),
            "before": storage_before,
            "after": storage_after,
        },
        "ok": not problems,
        "problems": problems,
    }


def show(result: dict[str, Any]) -> str:
    load, dig, cpu, mem = result["load"], result["digest"], result["cpu"], result["memory"]
    lat, r503 = load["latency_ms"], load.get("latency_503_ms", {})
    return report.table(
        [
            ("run", f"{result['name']}  ({result['commit']['sha']})"),
            ("requests / accepted", f"{load['requests']} / {load['accepted']}"),
            ("429 / 503 / other", f"{load['status_429']} / {load['status_503']} / "
                                  f"{load['other_status']}"),
            ("accepted events/s", load["accepted_per_s"]),
            ("digested events/s (e2e)", dig["digested_per_s_end_to_end"]),
            ("drain after load", f"{dig['drain_after_load_s']} s"),
            ("queue max / at load end", f"{dig['queue_max']} / {dig['queue_at_load_end']}"),
            ("ingest ms p50/p95/p99", f"{lat.get('p50')} / {lat.get('p95')} / {lat.get('p99')}"),
            ("503 ms p50/p95/p99", f"{r503.get('p50')} / {r503.get('p95')} / {r503.get('p99')}"),
            ("CPU-s/1000 web+worker", f"{cpu['app_s_per_1000_events']} (web "
             f"{cpu['web_s_per_1000_events']}, background {cpu['background_s_per_1000_events']})"),
            ("CPU-s/1000 PG backends", cpu["pg_backends_s_per_1000_events"]),
            ("peak RSS max / sum", f"{report.mb(mem['peak_rss_max_bytes'])} / "
                                   f"{report.mb(mem['peak_rss_sum_bytes'])}"),
            ("DB bytes/event: events / all", f"{result['storage']['event_bytes_per_event']} / "
                                             f"{result['storage']['all_tables_bytes_per_event']}"),
            ("issues", dig["issues"]),
            ("problems", "; ".join(result["problems"]) or "none"),
        ]
    )  # fmt: skip


def parse_env(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--env wants NAME=VALUE, got {pair!r}")
        out[name] = value
    return out


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", nargs="?", choices=["ingest", "ui", "table"], default="ingest")
    parser.add_argument("files", nargs="*", type=Path, help="table: result files to show")
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="dropped and recreated!")
    parser.add_argument("--vus", default="4,16,48", help="comma-separated concurrency levels")
    parser.add_argument("--rate", type=int, help="open model: requests/s (overload runs)")
    parser.add_argument("--max-vus", type=int, default=300)
    parser.add_argument("--duration", type=int, default=60, help="seconds of load")
    parser.add_argument("--size", choices=["small", "large"], default="small")
    parser.add_argument("--max-rate", type=int, default=2500, help="sizes the body pool")
    parser.add_argument("--events", type=int, help="body pool size (default from rate)")
    parser.add_argument("--web-workers", type=int, help="WEB_CONCURRENCY for gunicorn")
    parser.add_argument("--digest-workers", type=int, default=1)
    parser.add_argument("--hot-issues", type=int, default=20)
    parser.add_argument("--hot-ratio", type=float, default=0.9)
    parser.add_argument("--stall", type=float, default=60, help="give up after N s idle")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for servers")
    parser.add_argument(
        "--gunicorn-arg", action="append", default=[], metavar="ARG",
        help="extra gunicorn option, e.g. --gunicorn-arg=--threads=8 (repeatable)",
    )  # fmt: skip
    parser.add_argument("--no-save", action="store_true", help="do not write a result file")
    parser.add_argument("--results", type=Path, default=report.RESULTS)
    parser.add_argument(
        "--ui-database-url", default="postgres://postgres@127.0.0.1:5432/bt_bench_demo"
    )
    parser.add_argument("--ui-project", default="demo")
    parser.add_argument("--requests", type=int, default=30, help="UI: requests per page")
    args = parser.parse_args(argv)
    args.env = parse_env(args.env)

    if args.mode == "table":
        import json

        print(report.markdown([json.loads(f.read_text()) for f in args.files]))
        return []
    if args.mode == "ui":
        from bench.ui import ui_benchmark

        results = [ui_benchmark(args.ui_database_url, args.ui_project, args.requests)]
    else:
        results = []
        with tempfile.TemporaryDirectory(prefix="bugtrack-bench-bodies-") as bodies_tmp:
            bodies_dir, corpus = make_bodies(args, Path(bodies_tmp))
            for vus in [int(v) for v in str(args.vus).split(",")]:
                with tempfile.TemporaryDirectory(prefix="bugtrack-bench-") as tmp:
                    result = ingest_run(args, vus, Path(tmp), bodies_dir, corpus)
                print(show(result), flush=True)
                results.append(result)
    for result in results:
        if not args.no_save:
            print(f"saved {report.save(result, result['name'], args.results)}")
    return results


if __name__ == "__main__":
    outcome = main()
    sys.exit(0 if all(r.get("ok") for r in outcome) else 1)
