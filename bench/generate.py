"""Build the request bodies k6 sends: gzip-compressed envelopes made from real payloads.

Every envelope has a fresh event id. About `hot_ratio` of the events fall into `hot_issues`
issues (a fixed exception type and top in-app function each); the rest get a function name
of their own, so each opens a new issue. The template is serialized once with placeholders
and each event is a few byte replacements plus gzip, so that generating is cheap.

Output, in `outdir`: `bodies.bin` (all bodies back to back) and `index.json`
(`[[offset, length], ...]`, one per request, in the order k6 sends them).
"""

import gzip
import json
import random
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

from bench.corpus import find_corpus

ROOT = Path(__file__).resolve().parent.parent
CORPUS = find_corpus() or ROOT.parent.parent / "shared" / "corpus"
LARGE_TEMPLATE = "sentry/laravel.json"  # 59 KB of PHP frames with source context and vars

EVENT_ID = b"BT0EVENT0ID0PLACEHOLDER000000000"
TYPE = b"BT0EXCEPTION0TYPE"
FUNCTION = b"BT0FUNCTION0NAME"
TIMESTAMP = b'"BT0TIMESTAMP"'

HOT_TYPES = [
    "ValueError", "KeyError", "TypeError", "AttributeError", "IndexError", "ZeroDivisionError",
    "RuntimeError", "OSError", "ConnectionError", "TimeoutError", "PermissionError",
    "FileNotFoundError", "LookupError", "UnicodeDecodeError", "NotImplementedError",
    "AssertionError", "OverflowError", "RecursionError", "MemoryError", "IntegrityError",
]  # fmt: skip


@dataclass
class Corpus:
    count: int
    hot_events: int
    new_issue_events: int
    raw_bytes_mean: float
    gzip_bytes_mean: float
    template: str
    sdk: str
    seconds: float


def corpus_dir() -> Path:
    """The shared corpus; BENCH_CORPUS overrides where it lives."""
    import os

    return Path(os.environ.get("BENCH_CORPUS", CORPUS))


def capture_sdk_event(workdir: Path) -> dict[str, Any]:
    """One event from the real sentry-sdk (in a subprocess, see capture.py)."""
    out = workdir / "sdk-event.json"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "capture.py"), str(out)],
        check=True,
        capture_output=True,
    )
    return json.loads(out.read_text())


def load_template(size: str, workdir: Path) -> tuple[dict[str, Any], str]:
    if size == "small":
        return capture_sdk_event(workdir), "sentry-sdk capture (bench/capture.py)"
    if size == "large":
        path = corpus_dir() / LARGE_TEMPLATE
        if not path.is_file():
            raise SystemExit(f"--size large needs {LARGE_TEMPLATE} of the shared corpus: {path}")
        return json.loads(path.read_text()), f"corpus {LARGE_TEMPLATE}"
    raise ValueError(f"unknown event size {size!r}")


def _exception_values(event: dict[str, Any]) -> list[dict[str, Any]]:
    exc = event.get("exception")
    if isinstance(exc, dict):
        exc = exc.get("values")
    return exc if isinstance(exc, list) else []


def with_placeholders(event: dict[str, Any]) -> bytes:
    """The template as JSON, with markers where each event differs."""
    event = json.loads(json.dumps(event))
    event["event_id"] = EVENT_ID.decode()
    event["timestamp"] = TIMESTAMP.decode().strip('"')
    values = _exception_values(event)
    if not values:
        raise ValueError("the template needs an exception")
    top = values[-1]  # the exception raised last; Sentry lists the chain oldest first
    top["type"] = TYPE.decode()
    frames = (top.get("stacktrace") or {}).get("frames") or []
    in_app = [f for f in frames if f.get("in_app")] or frames
    if not in_app:
        raise ValueError("the template needs a stack trace")
    in_app[-1]["function"] = FUNCTION.decode()  # the frame closest to the crash
    body = orjson.dumps(event)
    for marker in (EVENT_ID, TYPE, FUNCTION, TIMESTAMP):
        if body.count(marker) != 1:
            raise ValueError(f"template marker {marker!r} is not unique")
    return body


def envelope(payload: bytes, event_id: str, sdk: dict[str, str]) -> bytes:
    header = orjson.dumps({"event_id": event_id, "sent_at": _iso_now(), "sdk": sdk})
    item = orjson.dumps({"type": "event", "length": len(payload)})
    return b"\n".join([header, item, payload]) + b"\n"


def _iso_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())


def generate(
    outdir: Path,
    count: int,
    size: str = "small",
    hot_issues: int = 20,
    hot_ratio: float = 0.9,
    seed: int = 7,
) -> Corpus:
    started = time.monotonic()
    outdir.mkdir(parents=True, exist_ok=True)
    template_event, template_name = load_template(size, outdir)
    sdk = template_event.get("sdk") or {"name": "sentry.php", "version": "3.0.0"}
    sdk = {"name": str(sdk.get("name", "")), "version": str(sdk.get("version", ""))}
    template = with_placeholders(template_event)
    rng = random.Random(seed)
    hot_types = [HOT_TYPES[i % len(HOT_TYPES)].encode() for i in range(hot_issues)]
    index: list[tuple[int, int]] = []
    hot = raw_total = offset = 0
    now = time.time()
    with open(outdir / "bodies.bin", "wb") as out:
        for n in range(count):
            if rng.random() < hot_ratio:
                k = rng.randrange(hot_issues)
                exc_type, function = hot_types[k], b"process_batch_%d" % k
                hot += 1
            else:
                exc_type = rng.choice(hot_types)
                function = b"handle_%x_%08x" % (n, rng.getrandbits(32))
            event_id = uuid.UUID(int=rng.getrandbits(128), version=4).hex
            payload = (
                template.replace(EVENT_ID, event_id.encode())
                .replace(TYPE, exc_type)
                .replace(FUNCTION, function)
                .replace(TIMESTAMP, b"%.6f" % (now + n / 1000))
            )
            body = gzip.compress(envelope(payload, event_id, sdk), compresslevel=6, mtime=0)
            out.write(body)
            index.append((offset, len(body)))
            offset += len(body)
            raw_total += len(payload)
    (outdir / "index.json").write_bytes(orjson.dumps(index))
    corpus = Corpus(
        count=count,
        hot_events=hot,
        new_issue_events=count - hot,
        raw_bytes_mean=round(raw_total / max(count, 1), 1),
        gzip_bytes_mean=round(offset / max(count, 1), 1),
        template=template_name,
        sdk=f"{sdk['name']}/{sdk['version']}",
        seconds=round(time.monotonic() - started, 2),
    )
    (outdir / "corpus.json").write_text(json.dumps(asdict(corpus), indent=2))
    return corpus


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--size", choices=["small", "large"], default="small")
    args = parser.parse_args()
    print(asdict(generate(args.outdir, args.count, args.size)))
