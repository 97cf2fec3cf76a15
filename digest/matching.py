"""A batch's issues: the existing ones, locked, and new ones for unknown grouping hashes.

A hash's issue is its `GroupingHash` row (an issue holds its own hash and those merged into
it), so the lookup stays one statement per batch. Lock order, against deadlocks between
workers and with merges: projects (only when issues must be created), then issues sorted by
(project, the issue's own hash). Both locks are `FOR NO KEY UPDATE`, which does not
conflict with the key-share locks that inserting events, releases and alerts (foreign keys to
the project and issue) take in other workers. SQLite's `IMMEDIATE` transaction already
serializes writers, so it needs no row locks.

Only the columns the digest reads and writes are loaded (`ISSUE_FIELDS`); the rest (title,
message, grouping components) stay deferred and are never touched here.
"""

from django.db import connection

from core.bulksql import (
    bulk_set,
    column_of,
    execute,
    fetch_models_and,
    insert_objects,
    rows_source,
)
from digest import grouping, summary
from digest.prepared import Prepared
from issues.models import GroupingHash, Issue
from projects.models import Project

Key = tuple[int, str]  # (project id, grouping hash)

ISSUE_FIELDS = [
    "id", "project_id", "grouping_hash", "status", "resolved_in_release", "resolved_at",
    "ignore_until", "ignore_until_count", "first_seen", "last_seen", "event_count",
    "first_release", "last_release", "environments",
]  # fmt: skip
_KEY_COLUMNS = ["project_id", "grouping_hash"]
_HASH_COLUMNS = ["project_id", "hash"]


def issues_for(
    by_key: dict[Key, list[Prepared]], projects: dict[int, Project]
) -> tuple[dict[Key, Issue], set[Key]]:
    """The issue for every key (locked on PostgreSQL), and which of them were created now."""
    keys = sorted(by_key)
    if connection.vendor != "postgresql":
        issues = _lookup(keys, lock=False)
    else:
        locked: set[int] = set()
        known = _existing(keys)  # unlocked: tells whether projects must be locked first
        if any(k not in known for k in keys):
            locked = _lock_projects({k[0] for k in keys if k not in known}, projects)
        issues = _lookup(keys, lock=True)
        gone = [k for k in keys if k not in issues and k in known]
        if gone:  # merged away or deleted while we waited: rare; read where the hash is now
            issues.update(_lookup(gone, lock=True))
        # An issue deleted since `_existing`: rare; its project is locked late, out of order.
        _lock_projects({k[0] for k in keys if k not in issues} - locked, projects)
    missing = [k for k in keys if k not in issues]
    if missing:
        issues.update(_create(missing, by_key, projects))
    return issues, set(missing)


def _existing(keys: list[Key]) -> set[Key]:
    source, params = rows_source(GroupingHash, _HASH_COLUMNS, keys)
    rows = execute(
        f"SELECT project_id, hash FROM {GroupingHash._meta.db_table} "
        f"WHERE (project_id, hash) IN ({source})",
        params,
        fetch=True,
    )
    return {(pid, h) for pid, h in rows}


def _lock_projects(ids: set[int], projects: dict[int, Project]) -> set[int]:
    """Lock project rows (id order) and read their fresh `next_short_id`."""
    if not ids:
        return set()
    rows = execute(
        f"SELECT id, next_short_id FROM {Project._meta.db_table} WHERE id = ANY(%s) "
        "ORDER BY id FOR NO KEY UPDATE",
        [sorted(ids)],
        fetch=True,
    )
    for pid, next_short_id in rows:
        projects[pid].next_short_id = next_short_id
    return ids


def _lookup(keys: list[Key], lock: bool) -> dict[Key, Issue]:
    """Keys of merged hashes map to their issue; one object per issue, however many keys.
    Only issue rows are locked: hash rows change only under their issue's lock."""
    source, params = rows_source(GroupingHash, _HASH_COLUMNS, keys)
    columns = ", ".join(f"i.{column_of(Issue, f)}" for f in ISSUE_FIELDS)
    found = fetch_models_and(
        Issue,
        ISSUE_FIELDS,
        f"SELECT {columns}, h.hash FROM {GroupingHash._meta.db_table} h "
        f"JOIN {Issue._meta.db_table} i ON i.id = h.issue_id "
        f"WHERE (h.project_id, h.hash) IN ({source}) ORDER BY i.project_id, i.grouping_hash"
        + (" FOR NO KEY UPDATE OF i" if lock else ""),
        params,
    )
    by_id: dict[int, Issue] = {}
    out: dict[Key, Issue] = {}
    for issue, (hash_,) in found:
        out[(issue.project_id, hash_)] = by_id.setdefault(issue.pk, issue)
    return out


def _create(
    missing: list[Key], by_key: dict[Key, list[Prepared]], projects: dict[int, Project]
) -> dict[Key, Issue]:
    new = []
    for key in missing:
        project = projects[key[0]]
        new.append(_new_issue(project, by_key[key]))
        project.next_short_id += 1
    bulk_set([projects[pid] for pid in sorted({k[0] for k in missing})], ["next_short_id"])
    ids = {(pid, h): pk for pk, pid, h in insert_objects(new, ["id", *_KEY_COLUMNS])}
    for issue in new:
        issue.pk = ids[(issue.project_id, issue.grouping_hash)]
        issue._state.adding, issue._state.db = False, connection.alias
    insert_objects(
        [GroupingHash(project_id=i.project_id, hash=i.grouping_hash, issue_id=i.pk) for i in new]
    )
    return {(i.project_id, i.grouping_hash): i for i in new}


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
        title="Unprocessable events" if first.error else summary.title(data),
        culprit=first.error[:500] if first.error else summary.culprit(data),
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
