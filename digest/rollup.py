"""Roll a batch's new events up into their issues: counters, lifecycle, history, alerts,
per-issue tag counts, hourly buckets and per-minute counts. Called by the digest inside its
transaction."""

from collections import defaultdict
from datetime import datetime

from django.db.models import Q

from alerts.models import Alert, AlertKind, AlertStatus
from core.bulksql import bulk_set, insert_objects, upsert_add
from digest.prepared import Prepared
from issues import lifecycle
from issues.models import (
    HistoryKind,
    Issue,
    IssueBucket,
    IssueHistory,
    IssueMinute,
    IssueStatus,
    IssueTagValue,
    Release,
)
from projects.models import Project


def update_issues(
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
    bulk_set(
        [issues[k] for k in sorted(by_key)],
        ["event_count", "first_seen", "last_seen", "first_release", "last_release",
         "environments", "status", "resolved_in_release", "ignore_until", "ignore_until_count"],
    )  # fmt: skip
    insert_objects(history)
    insert_objects(alerts)  # the outbox row commits (or not) with the batch


def _transition(
    issue: Issue,
    events: list[Prepared],
    is_new: bool,
    release_seen: dict[tuple[int, str], datetime],
    now: datetime,
    history: list[IssueHistory],
) -> AlertKind | None:
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
    # Events that were already queued when the issue was resolved don't reopen it.
    events = [p for p in events if issue.resolved_at is None or p.received_at > issue.resolved_at]
    if issue.status == IssueStatus.RESOLVED and events:
        history.append(lifecycle.regress(issue, events[0].event_id, now))
        return AlertKind.REGRESSION
    if issue.status == IssueStatus.RESOLVED_NEXT_RELEASE:
        seen = {v: t for (pid, v), t in release_seen.items() if pid == issue.project_id}
        for p in events:
            release = p.data.get("release", "")
            if lifecycle.is_newer_release(release, issue.resolved_in_release, seen):
                history.append(lifecycle.regress(issue, p.event_id, now))
                return AlertKind.REGRESSION
    return None


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


def _alerts_enabled(project: Project, kind: AlertKind) -> bool:
    return {
        AlertKind.NEW_ISSUE: project.alert_on_new_issue,
        AlertKind.REGRESSION: project.alert_on_regression,
        AlertKind.UNIGNORED: project.alert_on_unignore,
    }[kind]


def update_tags_and_buckets(
    by_key: dict[tuple[int, str], list[Prepared]], issues: dict[tuple[int, str], Issue]
) -> None:
    tags: dict[tuple[int, str, str], list] = {}
    buckets: dict[tuple[int, datetime], int] = defaultdict(int)
    minutes: dict[tuple[int, datetime], int] = defaultdict(int)
    for key, events in by_key.items():
        issue_id = issues[key].pk
        for p in events:
            ts = p.timestamp
            minute = ts.replace(second=0, microsecond=0)
            minutes[(issue_id, minute)] += 1
            buckets[(issue_id, minute.replace(minute=0))] += 1
            for tag, value in p.tags.items():  # per event and tag: kept lean
                entry = tags.get(tag_key := (issue_id, tag, value))
                if entry is None:
                    tags[tag_key] = [1, ts, ts]
                    continue
                entry[0] += 1
                if ts < entry[1]:
                    entry[1] = ts
                elif ts > entry[2]:
                    entry[2] = ts
    upsert_add(
        IssueTagValue,
        ["issue_id", "key", "value"],
        [(*k, *v) for k, v in sorted(tags.items())],
    )
    upsert_add(
        IssueBucket,
        ["issue_id", "hour"],
        [(*k, n) for k, n in sorted(buckets.items())],
        first=None,
        last=None,
    )
    # For frequency alert rules ("more than N events in M minutes"): one statement per batch.
    upsert_add(
        IssueMinute,
        ["issue_id", "minute"],
        [(*k, n) for k, n in sorted(minutes.items())],
        first=None,
        last=None,
    )
