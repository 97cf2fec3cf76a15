"""The digest: intake rows -> events grouped into issues, in one transaction per batch.

`digest_batch()` is the single step the worker loops over. Query count per batch is constant
(no per-event queries): one lookup per table, bulk inserts, set-based counter upserts.
"""

import logging
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from alerts.models import Alert, AlertKind, AlertStatus
from ingest.models import IntakeEvent
from issues import grouping, lifecycle, normalize, payload, summary
from issues.counters import insert_new, update_fields, upsert_add
from issues.models import (
    Event,
    HistoryKind,
    Issue,
    IssueBucket,
    IssueHistory,
    IssueStatus,
    IssueTagValue,
    Release,
)
from projects.models import Project

logger = logging.getLogger(__name__)

# Test hook: sleep inside the batch transaction (after touching a marker file), so that a
# test can kill the worker mid-batch.
_TEST_SLEEP = float(os.environ.get("BUGTRACK_TEST_DIGEST_SLEEP", "0") or 0)
_TEST_MARKER = os.environ.get("BUGTRACK_TEST_DIGEST_MARKER", "")


@dataclass
class Prepared:
    intake_id: int
    project_id: int
    event_id: str
    received_at: datetime
    data: dict[str, Any]
    grouping: grouping.Grouping
    error: str = ""
    timestamp: datetime = field(init=False)
    tags: dict[str, str] = field(init=False)  # SDK plus derived tags, aggregated per issue

    def __post_init__(self) -> None:
        self.timestamp = datetime.fromtimestamp(self.data["timestamp"], UTC)
        self.tags = summary.event_tags(self.data)


def digest_batch(batch_size: int | None = None) -> int:
    """Claim up to `batch_size` intake rows and digest them; returns how many were claimed."""
    with transaction.atomic():
        rows = _claim(batch_size or settings.DIGEST_BATCH_SIZE)
        if not rows:
            return 0
        try:
            with transaction.atomic():
                digest_rows(rows)
        except Exception:
            # One poisoned event must not stall the queue: redo the batch one row at a time.
            logger.exception("digest batch failed; retrying %d events one by one", len(rows))
            for row in rows:
                _digest_alone(row)
        IntakeEvent.objects.filter(id__in=[r.id for r in rows]).delete()
        if _TEST_SLEEP:
            _test_pause()
    return len(rows)


def _test_pause() -> None:
    if _TEST_MARKER:
        with open(_TEST_MARKER, "a") as marker:
            marker.write("in batch\n")
    time.sleep(_TEST_SLEEP)


def _claim(batch_size: int) -> list[IntakeEvent]:
    qs = IntakeEvent.objects.order_by("id")
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True)
    # SQLite: the IMMEDIATE transaction already holds the write lock; a plain select is enough.
    return list(qs[:batch_size])


def _digest_alone(row: IntakeEvent) -> None:
    for force_fallback in (False, True):
        try:
            with transaction.atomic():
                digest_rows([row], force_fallback=force_fallback)
            return
        except Exception:
            logger.exception("digest of intake row %s failed (fallback=%s)", row.id, force_fallback)
    logger.error("dropping undigestible intake row %s (event %s)", row.id, row.event_id)


def digest_rows(rows: list[IntakeEvent], force_fallback: bool = False) -> None:
    """Digest claimed rows inside the caller's transaction."""
    now = timezone.now()
    projects = Project.objects.in_bulk({r.project_id for r in rows})
    prepared = _dedupe([_prepare(r, force_fallback) for r in rows if r.project_id in projects])
    if not prepared:
        return
    _record_releases(prepared)
    by_key: dict[tuple[int, str], list[Prepared]] = defaultdict(list)
    for p in prepared:
        by_key[(p.project_id, p.grouping.hash)].append(p)
    issues, created = _issues_for(by_key, projects)
    inserted = _insert_events(prepared, issues)
    by_key = {
        k: [p for p in ps if (p.project_id, p.event_id) in inserted] for k, ps in by_key.items()
    }
    empty_new = [issues[k].pk for k in created if not by_key[k]]
    if empty_new:  # another worker stored these events first; drop the issue we made for them
        Issue.objects.filter(pk__in=empty_new).delete()
    by_key = {k: ps for k, ps in by_key.items() if ps}
    _update_issues(by_key, issues, created, projects, now)
    _update_tags_and_buckets(by_key, issues)


def _prepare(row: IntakeEvent, force_fallback: bool) -> Prepared:
    received = row.received_at
    try:
        if force_fallback:
            raise normalize.NormalizationError("event could not be digested")
        data = normalize.normalize(normalize.parse(row.payload), row.event_id, received)
        group = grouping.compute(data)
        return Prepared(row.id, row.project_id, row.event_id, received, data, group)
    except Exception as exc:  # untrusted input: any failure means "keep it, marked"
        error = f"{type(exc).__name__}: {exc}".replace("\x00", "")[:1000]
        data = normalize.fallback(row.payload, row.event_id, received)
        return Prepared(
            row.id, row.project_id, row.event_id, received, data, grouping.fallback(error), error
        )


def _dedupe(prepared: list[Prepared]) -> list[Prepared]:
    """Drop repeats of an event id within the batch and events already stored."""
    unique: dict[tuple[int, str], Prepared] = {}
    for p in prepared:
        unique.setdefault((p.project_id, p.event_id), p)
    existing = set(
        Event.objects.filter(
            project_id__in={k[0] for k in unique}, event_id__in={k[1] for k in unique}
        ).values_list("project_id", "event_id")
    )
    return [p for k, p in unique.items() if k not in existing]


def _record_releases(prepared: list[Prepared]) -> None:
    first: dict[tuple[int, str], datetime] = {}
    for p in prepared:
        release = p.data.get("release")
        if release:
            key = (p.project_id, release)
            first[key] = min(first.get(key, p.received_at), p.received_at)
    if first:
        Release.objects.bulk_create(
            [
                Release(project_id=k[0], version=k[1], first_seen=s)
                for k, s in sorted(first.items())
            ],
            ignore_conflicts=True,
        )


def _issues_for(
    by_key: dict[tuple[int, str], list[Prepared]], projects: dict[int, Project]
) -> tuple[dict[tuple[int, str], Issue], set[tuple[int, str]]]:
    """Existing issues (locked), plus new ones for unknown hashes. Lock order: projects
    (only when creating issues), then issues sorted by (project, hash)."""
    keys = sorted(by_key)
    issues = _lookup(keys, lock=False)
    missing = [k for k in keys if k not in issues]
    if missing:
        locked = Project.objects.select_for_update().filter(id__in={k[0] for k in missing})
        projects.update({p.pk: p for p in locked.order_by("id")})
    issues = _lookup(keys, lock=True) if missing or connection.vendor == "postgresql" else issues
    missing = [k for k in keys if k not in issues]
    created: set[tuple[int, str]] = set()
    if missing:
        new = []
        for key in missing:
            project = projects[key[0]]
            new.append(_new_issue(project, by_key[key]))
            project.next_short_id += 1
        Project.objects.bulk_update(
            [projects[pid] for pid in {k[0] for k in missing}], ["next_short_id"]
        )
        Issue.objects.bulk_create(new)
        for key, issue in zip(missing, new, strict=True):
            issues[key] = issue
            created.add(key)
    return issues, created


def _lookup(keys: list[tuple[int, str]], lock: bool) -> dict[tuple[int, str], Issue]:
    hashes: dict[int, list[str]] = defaultdict(list)
    for pid, h in keys:
        hashes[pid].append(h)
    where = Q()
    for pid, hs in hashes.items():
        where |= Q(project_id=pid, grouping_hash__in=hs)
    qs = Issue.objects.filter(where).order_by("project_id", "grouping_hash")
    if lock:
        qs = qs.select_for_update()
    return {(i.project_id, i.grouping_hash): i for i in qs}


def _new_issue(project: Project, events: list[Prepared]) -> Issue:
    first = min(events, key=lambda p: p.timestamp)
    data = first.data
    main = grouping.main_exception(data) or {}
    return Issue(
        project=project,
        short_id=project.next_short_id,
        grouping_hash=first.grouping.hash,
        grouping_version=first.grouping.version,
        grouping_components=first.grouping.components,
        title=summary.title(data),
        culprit=summary.culprit(data),
        message=(data.get("message") or main.get("value") or "")[:10_000],
        level=data.get("level", "error"),
        platform=data.get("platform", ""),
        first_seen=first.timestamp,
        last_seen=first.timestamp,
        event_count=0,
        first_release=data.get("release", ""),
        last_release=data.get("release", ""),
        environments=[],
    )


_EVENT_COLUMNS = [
    "project_id", "issue_id", "event_id", "timestamp", "received_at", "level", "release",
    "environment", "platform", "user_ident", "transaction", "tags", "payload",
    "processing_error",
]  # fmt: skip


def _insert_events(
    prepared: list[Prepared], issues: dict[tuple[int, str], Issue]
) -> set[tuple[int, str]]:
    rows = []
    for p in prepared:
        d = p.data
        rows.append((
            p.project_id, issues[(p.project_id, p.grouping.hash)].pk, p.event_id, p.timestamp,
            p.received_at, d.get("level", "error"), d.get("release", ""),
            d.get("environment", "")[:250], d.get("platform", ""), normalize.user_ident(d),
            d.get("transaction", "")[:250], orjson.dumps(dict(d.get("tags") or [])).decode(),
            payload.encode(d), p.error,
        ))  # fmt: skip
    returned = insert_new(
        Event._meta.db_table,
        _EVENT_COLUMNS,
        rows,
        unique=["project_id", "event_id"],
        returning=["project_id", "event_id"],
        casts={"tags": "jsonb"},
    )
    return {(pid, eid) for pid, eid in returned}


def _update_issues(
    by_key: dict[tuple[int, str], list[Prepared]],
    issues: dict[tuple[int, str], Issue],
    created: set[tuple[int, str]],
    projects: dict[int, Project],
    now: datetime,
) -> None:
    history: list[IssueHistory] = []
    alerts: list[Alert] = []
    release_seen = _release_first_seen(by_key, issues)
    for key in sorted(by_key):
        events = sorted(by_key[key], key=lambda p: (p.timestamp, p.intake_id))
        issue, project = issues[key], projects[key[0]]
        kind = _transition(issue, events, key in created, release_seen, now, history)
        _add_counts(issue, events)
        if issue.status == IssueStatus.IGNORED:
            reason = lifecycle.ignore_ran_out(issue, now)
            if reason:
                history.append(
                    lifecycle.unignore(issue, _crossing_event(issue, events), now, reason)
                )
                kind = AlertKind.UNIGNORED
        if kind and _alerts_enabled(project, kind):
            event_id = history[-1].event_id if history else events[0].event_id
            alerts.append(
                Alert(
                    project=project,
                    issue=issue,
                    kind=kind,
                    event_id=event_id,
                    created_at=now,
                    status=AlertStatus.PENDING,
                )
            )
    update_fields(
        Issue,
        [issues[k] for k in sorted(by_key)],
        ["event_count", "first_seen", "last_seen", "first_release", "last_release",
         "environments", "status", "resolved_in_release", "ignore_until", "ignore_until_count"],
    )  # fmt: skip
    IssueHistory.objects.bulk_create(history)
    Alert.objects.bulk_create(alerts)


def _transition(
    issue: Issue,
    events: list[Prepared],
    is_new: bool,
    release_seen: dict[tuple[int, str], datetime],
    now: datetime,
    history: list[IssueHistory],
) -> str:
    """First-seen or regression for this batch's events; returns the alert kind, if any."""
    if is_new:
        history.append(
            IssueHistory(
                issue=issue,
                kind=HistoryKind.FIRST_SEEN,
                created_at=now,
                actor=lifecycle.DIGEST_ACTOR,
                event_id=events[0].event_id,
            )
        )
        return AlertKind.NEW_ISSUE
    if issue.status == IssueStatus.RESOLVED:
        history.append(lifecycle.regress(issue, events[0].event_id, now))
        return AlertKind.REGRESSION
    if issue.status == IssueStatus.RESOLVED_NEXT_RELEASE:
        seen = {v: t for (pid, v), t in release_seen.items() if pid == issue.project_id}
        for p in events:
            release = p.data.get("release", "")
            if lifecycle.is_newer_release(release, issue.resolved_in_release, seen):
                history.append(lifecycle.regress(issue, p.event_id, now))
                return AlertKind.REGRESSION
    return ""


def _release_first_seen(
    by_key: dict[tuple[int, str], list[Prepared]], issues: dict[tuple[int, str], Issue]
) -> dict[tuple[int, str], datetime]:
    """First-seen times of the releases that matter to resolved-in-next-release issues."""
    wanted: dict[int, set[str]] = defaultdict(set)
    for key, events in by_key.items():
        issue = issues[key]
        if issue.status == IssueStatus.RESOLVED_NEXT_RELEASE:
            wanted[key[0]].add(issue.resolved_in_release)
            wanted[key[0]].update(p.data.get("release", "") for p in events)
    if not wanted:
        return {}
    where = Q()
    for pid, versions in wanted.items():
        where |= Q(project_id=pid, version__in=versions)
    rows = Release.objects.filter(where).values_list("project_id", "version", "first_seen")
    return {(pid, v): seen for pid, v, seen in rows}


def _add_counts(issue: Issue, events: list[Prepared]) -> None:
    issue.event_count += len(events)
    issue.first_seen = min(issue.first_seen, events[0].timestamp)
    if events[-1].timestamp >= issue.last_seen:
        issue.last_seen = events[-1].timestamp
        issue.last_release = events[-1].data.get("release", "") or issue.last_release
    if not issue.first_release:
        issue.first_release = next((p.data["release"] for p in events if p.data.get("release")), "")
    environments = list(issue.environments or [])
    for p in events:
        env = p.data.get("environment")
        if env and env not in environments and len(environments) < 100:
            environments.append(env[:250])
    issue.environments = environments


def _crossing_event(issue: Issue, events: list[Prepared]) -> str:
    """The event that made an ignored issue reach its event-count limit (else the last one)."""
    if issue.ignore_until_count is not None:
        before = issue.event_count - len(events)
        index = max(0, min(len(events) - 1, issue.ignore_until_count - before - 1))
        return events[index].event_id
    return events[-1].event_id


def _alerts_enabled(project: Project, kind: str) -> bool:
    return {
        AlertKind.NEW_ISSUE: project.alert_on_new_issue,
        AlertKind.REGRESSION: project.alert_on_regression,
        AlertKind.UNIGNORED: project.alert_on_unignore,
    }[kind]


def _update_tags_and_buckets(
    by_key: dict[tuple[int, str], list[Prepared]], issues: dict[tuple[int, str], Issue]
) -> None:
    tags: dict[tuple[int, str, str], list] = {}
    buckets: dict[tuple[int, datetime], int] = defaultdict(int)
    for key, events in by_key.items():
        issue_id = issues[key].pk
        for p in events:
            hour = p.timestamp.replace(minute=0, second=0, microsecond=0)
            buckets[(issue_id, hour)] += 1
            for tag, value in p.tags.items():
                entry = tags.setdefault((issue_id, tag, value), [0, p.timestamp, p.timestamp])
                entry[0] += 1
                entry[1] = min(entry[1], p.timestamp)
                entry[2] = max(entry[2], p.timestamp)
    upsert_add(
        IssueTagValue._meta.db_table,
        ["issue_id", "key", "value"],
        [(*k, *v) for k, v in sorted(tags.items())],
    )
    upsert_add(
        IssueBucket._meta.db_table,
        ["issue_id", "hour"],
        [(*k, n) for k, n in sorted(buckets.items())],
        first=None,
        last=None,
    )
