"""Real SDK payloads (a corpus directory) made into canonical events for demo data (see
bench/demodata.py).

The digest's own parsing, normalizer, grouping and summary are used, so demo events look
exactly like digested ones.
"""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from digest import grouping, summary
from digest.normalize import normalize, parse

Event = dict[str, Any]


def templates_from_corpus(corpus: Path) -> Iterator[Event]:
    """Every corpus payload that is valid JSON, a JSON object, and not known-broken."""
    broken_list = corpus / "KNOWN-BROKEN"
    lines = broken_list.read_text().splitlines() if broken_list.exists() else []
    broken = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    found = False
    for path in sorted(corpus.glob("*/*.json")):
        if str(path.relative_to(corpus)) in broken:
            continue
        try:
            data = parse(path.read_bytes())  # the digest's own parsing (drops NUL characters)
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(data, dict):
            found = True
            yield data
    if not found:
        raise FileNotFoundError(f"no usable event payloads under {corpus}")


def normalizer() -> Callable[[Event], Event]:
    received_at = datetime.now(UTC)
    return lambda data: normalize(data, "0" * 32, received_at)


def grouping_of(event: Event) -> tuple[str, str, list]:
    """(hash, version, components) from the digest's grouping."""
    found = grouping.compute(event)
    return found.hash, found.version, found.components


def title_of(event: Event) -> tuple[str, str, str]:
    """(title, culprit, message) the way the issue list shows an event."""
    values = (event.get("exception") or {}).get("values") or []
    value = str(values[-1].get("value") or "") if values and isinstance(values[-1], dict) else ""
    return summary.title(event), summary.culprit(event), value or event.get("message") or ""
