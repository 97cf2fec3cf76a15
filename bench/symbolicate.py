"""Digest throughput and worker memory with source maps (a benchmark, not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bt_sourcemaps \\
        .venv/bin/python bench/symbolicate.py [--maps 50] [--map-mb 2] [--events 5000] [--runs 3]

Uploads `--maps` distinct bundles (a generated source of about `--map-mb` MB of map each,
with sourcesContent) through the real assemble path, then queues JS events (10 frames each,
with debug ids, spread over all maps) and times digest_batch() until the queue is empty.
The first run parses every map (cold cache); later runs find them cached. Prints events/s
per run and the median, and the worker's resident memory before the first JS event and at
its peak (VmHWM), i.e. what the parsed maps cost. Compare plain events with
tests/bench_digest.py on this branch and on main.
"""

import argparse
import hashlib
import io
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bugtrack.settings")

import django  # noqa: E402

django.setup()

import orjson  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from artifacts import chunks  # noqa: E402
from artifacts.assemble import assemble  # noqa: E402
from digest.batch import digest_batch  # noqa: E402
from ingest.models import IntakeEvent  # noqa: E402
from projects.models import Project  # noqa: E402

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
SEGMENTS_PER_LINE = 8
FRAMES = 10


def vlq(value: int) -> str:
    """Base64 VLQ of one integer: only to *write* test maps; reading is symbolic's job."""
    n = (-value << 1) | 1 if value < 0 else value << 1
    out = ""
    while True:
        digit = n & 31
        n >>= 5
        out += _B64[digit | (32 if n else 0)]
        if not n:
            return out


def make_map(k: int, megabytes: float) -> tuple[bytes, bytes, int]:
    """A minified file, its map (about `megabytes`), and its line count."""
    # Each source line ~60 B of sourcesContent + 8 segments of ~5 B of mappings.
    lines = int(megabytes * 1024 * 1024 / 100)
    source = "\n".join(f"function f{k}_{i}(a) {{ return a.items[{i}].price * {k}; }}"
                       for i in range(lines))  # fmt: skip
    minified = "\n".join(f"function a{i}(b){{return b.c[{i}].d*{k}}}" for i in range(lines))
    mappings = []
    prev_line = 0
    for i in range(lines):
        segs = []
        prev_col = prev_src_col = 0
        for s in range(SEGMENTS_PER_LINE):
            col, src_col = s * 4, s * 6
            seg = vlq(col - prev_col) + vlq(0) + vlq(i - prev_line if s == 0 else 0)
            seg += vlq(src_col - prev_src_col)
            segs.append(seg)
            prev_col, prev_src_col, prev_line = col, src_col, i
        mappings.append(",".join(segs))
    sourcemap = {"version": 3, "sources": [f"src/module{k}.js"], "sourcesContent": [source],
                 "names": [], "mappings": ";".join(mappings)}  # fmt: skip
    return minified.encode(), json.dumps(sourcemap).encode(), lines


def bundle(k: int, debug_id: str, megabytes: float) -> tuple[bytes, int, int]:
    minified, sourcemap, lines = make_map(k, megabytes)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        minified_headers = {"debug-id": debug_id, "sourcemap": f"m{k}.min.js.map"}
        files = {
            f"_/_/m{k}.min.js": {
                "type": "minified_source", "url": f"~/m{k}.min.js", "headers": minified_headers
            },
            f"_/_/m{k}.min.js.map": {
                "type": "source_map", "url": f"~/m{k}.min.js.map", "headers": {"debug-id": debug_id}
            },
        }  # fmt: skip
        zf.writestr("manifest.json", json.dumps({"files": files}))
        zf.writestr(f"files/_/_/m{k}.min.js", minified)
        zf.writestr(f"files/_/_/m{k}.min.js.map", sourcemap)
    return buffer.getvalue(), lines, len(sourcemap)


def upload(project: Project, data: bytes) -> None:
    size = 8 * 1024 * 1024
    parts = [data[i : i + size] for i in range(0, len(data), size)]
    names = [hashlib.sha1(p).hexdigest() for p in parts]
    chunks.store([("file", n, p) for n, p in zip(names, parts, strict=True)])
    result = assemble([project], hashlib.sha1(data).hexdigest(), names, "", "")
    assert result.state == "ok", result


def js_event(k: int, debug_id: str, lines: int, i: int) -> dict:
    url = f"https://cdn.example.com/m{k}.min.js"
    frames = [
        {
            "filename": url,
            "function": f"a{(i + n) % lines}",
            "lineno": (i * 7 + n) % lines + 1,
            "colno": 1 + 4 * (n % SEGMENTS_PER_LINE),
            "in_app": True,
        }
        for n in range(FRAMES)
    ]
    return {
        "platform": "javascript",
        "release": "web@1.0.0",
        "exception": {
            "values": [
                {
                    "type": "TypeError",
                    "value": f"b.c[{i}] is undefined",
                    "stacktrace": {"frames": frames},
                }
            ]
        },  # fmt: skip
        "debug_meta": {"images": [{"type": "sourcemap", "code_file": url, "debug_id": debug_id}]},
        "tags": {"browser": "Chrome 120"},
        "user": {"id": str(i % 100)},
    }


def rss(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024
    return 0


def queue(project: Project, maps: list[tuple[str, int]], total: int) -> None:
    now = datetime.now(UTC)
    rows = []
    for i in range(total):
        k = i % len(maps)
        debug_id, lines = maps[k]
        event_id = uuid.uuid4().hex
        body = orjson.dumps({**js_event(k, debug_id, lines, i), "event_id": event_id})
        rows.append(IntakeEvent(project_id=project.pk, event_id=event_id, received_at=now,
                                payload=body))  # fmt: skip
    IntakeEvent.objects.bulk_create(rows, batch_size=1000)


def timed(total: int, batch_size: int) -> tuple[float, float]:
    """Events per wall second and per second of this process's CPU (less load-sensitive)."""
    wall0, cpu0 = time.perf_counter(), time.process_time()
    while digest_batch(batch_size):
        pass
    return total / (time.perf_counter() - wall0), total / (time.process_time() - cpu0)


def digest_phase(project_id: int, maps: list[tuple[str, int]], args: argparse.Namespace) -> None:
    """In a fresh process, as a worker starts: the uploads' own memory is not counted."""
    project = Project.objects.get(pk=project_id)
    before = rss("VmRSS")
    rates = []
    for run in range(args.runs):
        queue(project, maps, args.events)
        rate, cpu_rate = timed(args.events, args.batch_size)
        rates.append(rate)
        print(f"run {run + 1} ({'cold' if run == 0 else 'warm'} cache): {args.events} JS events,"
              f" {rate:.0f} events/s, {cpu_rate:.0f} per worker CPU-second "
              f"(load {os.getloadavg()[0]:.1f})", flush=True)  # fmt: skip
    peak = rss("VmHWM")
    print(f"median {statistics.median(rates):.0f} events/s; warm median "
          f"{statistics.median(rates[1:] or rates):.0f} events/s")  # fmt: skip
    print(f"worker RSS before JS events {before} MB, peak {peak} MB: +{peak - before} MB "
          f"for {len(maps)} maps")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--maps", type=int, default=50)
    parser.add_argument("--map-mb", type=float, default=2.0)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument(
        "--without-maps",
        action="store_true",
        help="the same events, maps not uploaded: the baseline for memory",
    )
    parser.add_argument("--digest-phase", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.digest_phase:
        state = json.loads(Path(args.digest_phase).read_text())
        digest_phase(state["project"], [tuple(m) for m in state["maps"]], args)
        return
    call_command("migrate", verbosity=0)
    project = Project.objects.create(name="maps", slug=f"maps-{uuid.uuid4().hex[:8]}")
    maps = []
    sizes = []
    for k in range(args.maps):
        debug_id = str(uuid.uuid4())
        data, lines, map_size = bundle(k, debug_id, args.map_mb)
        if not args.without_maps:
            upload(project, data)
        maps.append((debug_id, lines))
        sizes.append(map_size)
    print(f"{connection.vendor}: {args.maps} maps of {statistics.median(sizes) / 1e6:.2f} MB "
          f"(median), {FRAMES} frames per event, batch {args.batch_size}", flush=True)  # fmt: skip
    state = Path(f"/tmp/bench-symbolicate-{os.getpid()}.json")
    state.write_text(json.dumps({"project": project.pk, "maps": maps}))
    try:
        subprocess.run([sys.executable, __file__, *sys.argv[1:], "--digest-phase", str(state)],
                       check=True)  # fmt: skip
    finally:
        state.unlink()


if __name__ == "__main__":
    main()
