"""Plain factory functions for issues and events, written straight to the database."""

import itertools
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.utils import timezone

from bugtrack.corpus import find_corpus
from events.models import Event
from events.payload import encode
from issues.models import Issue, IssueBucket, IssueHistory, IssueTagValue
from projects.models import Project

CORPUS = find_corpus() or Path("/nonexistent/shared/corpus")
_numbers = itertools.count(1)


def make_issue(project: Project, **fields: Any) -> Issue:
    n = next(_numbers)
    now = timezone.now()
    fields.setdefault("title", f"ValueError: thing {n} went wrong")
    fields.setdefault("culprit", f"app.views in handler_{n}")
    fields.setdefault("first_seen", now - timedelta(days=1))
    fields.setdefault("last_seen", now)
    fields.setdefault("event_count", 1)
    return Issue.objects.create(
        project=project,
        short_id=fields.pop("short_id", n),
        grouping_hash=fields.pop("grouping_hash", uuid.uuid4().hex),
        grouping_version=fields.pop("grouping_version", "test-1"),
        **fields,
    )


def make_event(issue: Issue, payload: dict | None = None, **fields: Any) -> Event:
    payload = dict(payload or {})
    event_id = fields.pop("event_id", payload.get("event_id") or uuid.uuid4().hex)
    payload["event_id"] = event_id
    now = timezone.now()
    fields.setdefault("timestamp", now)
    fields.setdefault("received_at", now)
    return Event.objects.create(
        project_id=issue.project_id, issue=issue, event_id=event_id, payload=encode(payload),
        **fields,
    )  # fmt: skip


def make_bucket(issue: Issue, hours_ago: int, count: int) -> IssueBucket:
    hour = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours_ago)
    return IssueBucket.objects.create(issue=issue, hour=hour, count=count)


def make_tag(issue: Issue, key: str, value: str, count: int = 1) -> IssueTagValue:
    now = timezone.now()
    return IssueTagValue.objects.create(
        issue=issue, key=key, value=value, count=count, first_seen=now, last_seen=now
    )


def make_history(issue: Issue, kind: str, actor: str = "digest") -> IssueHistory:
    return IssueHistory.objects.create(
        issue=issue, kind=kind, created_at=timezone.now(), actor=actor
    )


def corpus_files() -> list[Path]:
    return sorted(CORPUS.rglob("*.json"))


def shape(raw: Any) -> dict:
    """Light shaping of a raw SDK payload towards the canonical form (the digest does more)."""
    data = dict(raw) if isinstance(raw, dict) else {"extra": {"raw": raw}}
    exc = data.get("exception")
    if isinstance(exc, list):
        data["exception"] = {"values": exc}
    if isinstance(data.get("tags"), dict):
        data["tags"] = [[k, v] for k, v in data["tags"].items()]
    event_id = str(data.get("event_id") or "").replace("-", "").lower()
    data["event_id"] = event_id if len(event_id) == 32 else uuid.uuid4().hex
    return data


def load_corpus(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8", errors="replace"))


def epoch(moment: datetime) -> float:
    return moment.astimezone(UTC).timestamp()
