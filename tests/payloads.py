"""The event payloads that tests run over: the repo's own, and the shared corpus when present.

`tests/fixtures/events/` (see its README) is always there. The shared corpus of real SDK
payloads (`bench.corpus.find_corpus()`: `shared/corpus` beside the repo or a parent, or
`BUGTRACK_CORPUS`) is used as well when it is found. Both have the same layout:
`<source>/<name>.json` plus a `KNOWN-BROKEN` list of the deliberately invalid files.
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from bench.corpus import FIXTURES, find_corpus

CORPUS = found if (found := find_corpus()) and found.is_dir() else None


@dataclass(frozen=True)
class Payload:
    root: Path
    path: Path
    broken: bool  # listed in its root's KNOWN-BROKEN

    @property
    def name(self) -> str:
        """The path under its root, as KNOWN-BROKEN and the pins spell it."""
        return self.path.relative_to(self.root).as_posix()

    @property
    def source(self) -> str:
        return "fixtures" if self.root == FIXTURES else "corpus"

    def __str__(self) -> str:  # the pytest id
        return f"{self.source}:{self.name}"

    def raw(self) -> bytes:
        return self.path.read_bytes()

    def load(self) -> Any:
        """The JSON as Python's json module reads it (ValueError when it is not JSON)."""
        return json.loads(self.raw())

    def event(self) -> dict[str, Any]:
        """The payload as a dict; for the valid, object-shaped ones."""
        data = self.load()
        assert isinstance(data, dict), f"{self} is not a JSON object"
        return data

    def queued(self) -> bytes | None:
        """The bytes ingest would queue for this payload (repaired if need be), or None if
        ingest refuses it."""
        from ingest.errors import BadRequest
        from ingest.events import choose_event_id, load_event

        try:
            event, body = load_event(self.raw())
            choose_event_id(None, event)
        except BadRequest:
            return None
        return body


def known_broken(root: Path) -> set[str]:
    listing = root / "KNOWN-BROKEN"
    if not listing.exists():
        return set()
    lines = (line.strip() for line in listing.read_text().splitlines())
    return {line for line in lines if line and not line.startswith("#")}


def payloads_under(root: Path | None) -> list[Payload]:
    if root is None or not root.is_dir():
        return []
    broken = known_broken(root)
    return [
        Payload(root, path, path.relative_to(root).as_posix() in broken)
        for path in sorted(root.glob("*/*.json"))
    ]


@cache
def fixture_payloads() -> tuple[Payload, ...]:
    return tuple(payloads_under(FIXTURES))


@cache
def corpus_payloads() -> tuple[Payload, ...]:
    return tuple(payloads_under(CORPUS))


def all_payloads() -> list[Payload]:
    """The repo's fixtures, then the shared corpus's payloads when it is present."""
    return [*fixture_payloads(), *corpus_payloads()]


def accepted_payloads() -> list[Payload]:
    """Every payload that ingest queues (the valid ones and the repairable broken ones)."""
    return [p for p in all_payloads() if p.queued() is not None]


def fixture(name: str) -> dict[str, Any]:
    """One of the repo's fixtures by name, e.g. `fixture("python/chained-cause.json")`."""
    return json.loads((FIXTURES / name).read_text())


def corpus_summary() -> str:
    """One line for the test report: whether the shared corpus runs too, and how much of it."""
    if CORPUS is None:
        return (
            f"shared corpus: not found, running the {len(fixture_payloads())} repo fixtures "
            "only (put shared/corpus beside the repo or set BUGTRACK_CORPUS)"
        )
    return (
        f"shared corpus: {len(corpus_payloads())} extra payloads from {CORPUS} "
        f"(besides {len(fixture_payloads())} repo fixtures)"
    )
