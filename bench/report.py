"""Where a result comes from (machine, commit, command) and how it is saved and shown."""

import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        mem_kb = 0
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "loadavg_at_start": list(os.getloadavg()),
    }


def commit() -> dict[str, Any]:
    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    return {
        "sha": git("rev-parse", "--short=10", "HEAD"),
        "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def command_line() -> str:
    return " ".join(shlex.quote(a) for a in [Path(sys.argv[0]).as_posix(), *sys.argv[1:]])


def save(result: dict[str, Any], name: str, directory: Path = RESULTS) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = directory / f"{stamp}-{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path


def table(rows: list[tuple[str, Any]]) -> str:
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"  {label:<{width}}  {value}" for label, value in rows)


def mb(n: float) -> str:
    return f"{n / 1024 / 1024:.0f} MB"


def markdown(results: list[dict[str, Any]]) -> str:
    """One table row per ingest result, as docs/performance.md shows them."""
    head = (
        "| run | commit | accepted/s | digested/s e2e | queue max / end | ingest p50/p95/p99 ms "
        "| CPU-s/1000 web+bg (PG) | peak RSS max | DB B/event | 429/503/fail | load avg |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|"
    )
    rows = []
    for r in results:
        if r.get("kind") != "ingest":
            continue
        load, dig, cpu, lat = r["load"], r["digest"], r["cpu"], r["load"]["latency_ms"]
        rows.append(
            f"| {r['name']} | {r['commit']['sha'][:8]} | {load['accepted_per_s']} "
            f"| {dig['digested_per_s_end_to_end']} | {dig['queue_max']} / "
            f"{dig['queue_at_load_end']} | {lat.get('p50')} / {lat.get('p95')} / "
            f"{lat.get('p99')} | {cpu['app_s_per_1000_events']} "
            f"({cpu['pg_backends_s_per_1000_events']}) "
            f"| {mb(r['memory']['peak_rss_max_bytes'])} "
            f"| {r['storage']['event_bytes_per_event']} | {load['status_429']}/"
            f"{load['status_503']}/{load['other_status']} "
            f"| {r['machine']['loadavg_at_start'][0]:.1f} |"
        )
    return "\n".join([head, *rows])
