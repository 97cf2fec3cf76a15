"""The digest: intake rows -> events grouped into issues, in one transaction per batch.

`digest_batch()` is the single step the worker loops over. Query count per batch is constant
(no per-event queries): one lookup per table, bulk inserts, set-based counter upserts.
"""

import logging
import time
from collections import defaultdict
from datetime import datetime
from typing import Any

import orjson
from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from core import metrics
from core.bulksql import fetch_models, insert_new
from core.logging import request_context
from digest import grouping, normalize, rollup, symbolicate, trimming
from digest.matching import issues_for
from digest.prepared import Prepared
from events import payload
from events.models import Event
from ingest.queue import Claimed, claim, waiting
from issues.models import Issue, Release
from projects.models import Project

logger = logging.getLogger(__name__)


def digest_batch(batch_size: int | None = None) -> int:
    """Claim up to `batch_size` intake rows and digest them; returns how many were claimed."""
    started = time.perf_counter()
    with transaction.atomic():
        rows = claim(batch_size or settings.DIGEST_BATCH_SIZE)  # deleted when the batch commits
        if not rows:
            return 0
        _digest_claimed(rows)
    metrics.digest_batch(time.perf_counter() - started, len(rows))
    return len(rows)


def intake_waiting() -> bool:
    """Is there anything to claim? A cheap read for polling an empty queue."""
    return waiting()


def _digest_claimed(rows: list[Claimed]) -> None:
    try:
        with transaction.atomic():
            digest_rows(rows)
    except OperationalError:
        raise  # deadlock, lost connection, locked database: retry the whole batch later
    except Exception:
        # One poisoned event must not stall the queue: redo the batch one row at a time.
        logger.exception("digest batch failed; retrying %d events one by one", len(rows))
        for row in rows:
            _digest_alone(row)


def _digest_alone(row: Claimed) -> None:
    with request_context(row.request_id):  # these lines carry the ingest request's id
        for force_fallback in (False, True):
            try:
                with transaction.atomic():
                    digest_rows([row], force_fallback=force_fallback)
                return
            except OperationalError:
                raise
            except Exception:
                logger.exception(
                    "digest of intake row %s failed (fallback=%s)", row.id, force_fallback
                )
        logger.error("dropping undigestible intake row %s (event %s)", row.id, row.event_id)


def digest_rows(rows: list[Claimed], force_fallback: bool = False) -> None:
    """Digest claimed rows inside the caller's transaction."""
    now = timezone.now()
    projects = _projects({r.project_id for r in rows})
    kept = [r for r in rows if r.project_id in projects]
    prepared = _dedupe(_prepare_all(kept, force_fallback))
    if not prepared:
        return
    _record_releases(prepared)
    by_key: dict[tuple[int, str], list[Prepared]] = defaultdict(list)
    for p in prepared:
        by_key[(p.project_id, p.grouping.hash)].append(p)
    issues, created = issues_for(by_key, projects)
    inserted = _insert_events(prepared, issues)
    by_key, issues = _by_issue(by_key, issues)
    by_key = {
        k: [p for p in ps if (p.project_id, p.event_id) in inserted] for k, ps in by_key.items()
    }
    empty_new = [issues[k].pk for k in created if not by_key[k]]
    if empty_new:  # another worker stored these events first; drop the issue we made for them
        Issue.objects.filter(pk__in=empty_new).delete()
    by_key = {k: ps for k, ps in by_key.items() if ps}
    rollup.update_issues(by_key, issues, created, projects, now)
    new_count = len(created) - len(empty_new)
    if new_count:  # counted only if the batch commits (a rolled-back savepoint drops it)
        transaction.on_commit(lambda: metrics.issues_created(new_count))
    rollup.update_tags_and_buckets(by_key, issues)
    if logger.isEnabledFor(logging.DEBUG):
        ids = {r.id: r.request_id for r in rows}
        for key, ps in by_key.items():
            for p in ps:
                logger.debug(
                    "digested event %s into issue %s",
                    p.event_id,
                    issues[key].pk,
                    extra={"request_id": ids.get(p.intake_id, "")},
                )


def _by_issue(
    by_key: dict[tuple[int, str], list[Prepared]], issues: dict[tuple[int, str], Issue]
) -> tuple[dict[tuple[int, str], list[Prepared]], dict[tuple[int, str], Issue]]:
    """Re-key by each issue's own hash: a merged issue's hashes roll up as one issue."""
    if len({i.pk for i in issues.values()}) == len(issues):
        return by_key, {k: issues[k] for k in by_key}
    grouped: dict[tuple[int, str], list[Prepared]] = defaultdict(list)
    own: dict[tuple[int, str], Issue] = {}
    for key, ps in by_key.items():
        issue = issues[key]
        grouped[(key[0], issue.grouping_hash)].extend(ps)
        own[(key[0], issue.grouping_hash)] = issue
    return dict(grouped), own


_PROJECT_FIELDS = ["id", "next_short_id", "alert_on_new_issue", "alert_on_regression",
                   "alert_on_unignore"]  # fmt: skip


def _projects(ids: set[int]) -> dict[int, Project]:
    """The batch's projects (those still existing), with the fields the digest reads."""
    columns = ", ".join(_PROJECT_FIELDS)
    params: list[Any]
    if connection.vendor == "postgresql":  # one statement text whatever the number of ids
        where, params = "id = ANY(%s)", [sorted(ids)]
    else:
        where, params = f"id IN ({', '.join(['%s'] * len(ids))})", list(sorted(ids))
    sql = f"SELECT {columns} FROM {Project._meta.db_table} WHERE {where}"
    return {p.pk: p for p in fetch_models(Project, _PROJECT_FIELDS, sql, params)}


def _prepare_all(rows: list[Claimed], force_fallback: bool) -> list[Prepared]:
    """Normalize every row, symbolicate the batch's JavaScript frames together (one lookup
    per batch), then group; a row that fails any step is kept as unprocessable."""
    normalized = [_normalize(row, force_fallback) for row in rows]
    symbolicate.apply([(row.project_id, data) for row, data in zip(rows, normalized, strict=True)
                       if not isinstance(data, Exception)])  # fmt: skip
    return [_group(row, data) for row, data in zip(rows, normalized, strict=True)]


def _normalize(row: Claimed, force_fallback: bool) -> dict[str, Any] | Exception:
    try:
        if force_fallback:
            raise normalize.NormalizationError("event could not be digested")
        return normalize.normalize(normalize.parse(row.payload), row.event_id, row.received_at)
    except Exception as exc:  # untrusted input: any failure means "keep it, marked"
        return exc


def _group(row: Claimed, data: dict[str, Any] | Exception) -> Prepared:
    received = row.received_at
    try:
        if isinstance(data, Exception):
            raise data
        data, json = trimming.dumps(data)  # the stored JSON: no deeper than it can be shown
        group = grouping.compute(data)
        return Prepared(row.id, row.project_id, row.event_id, received, data, group, json=json)
    except Exception as exc:  # untrusted input: any failure means "keep it, marked"
        error = f"{type(exc).__name__}: {exc}".replace("\x00", "")[:1000]
        logger.info(
            "event %s kept unprocessed (%s)",
            row.event_id,
            type(exc).__name__,
            extra={"request_id": row.request_id},
        )
        fallback = normalize.fallback(row.payload, row.event_id, received)
        return Prepared(
            row.id, row.project_id, row.event_id, received, fallback, grouping.fallback(error),
            error,
        )  # fmt: skip


def _dedupe(prepared: list[Prepared]) -> list[Prepared]:
    """Drop repeats of an event id within the batch. Ids stored earlier need no query: the
    event insert skips them (ON CONFLICT DO NOTHING), and only inserted events are counted."""
    unique: dict[tuple[int, str], Prepared] = {}
    for p in prepared:
        unique.setdefault((p.project_id, p.event_id), p)
    return list(unique.values())


def _record_releases(prepared: list[Prepared]) -> None:
    first: dict[tuple[int, str], datetime] = {}
    for p in prepared:
        release = p.data.get("release")
        if release:
            key = (p.project_id, release)
            first[key] = min(first.get(key, p.received_at), p.received_at)
    rows = [(pid, version, seen) for (pid, version), seen in sorted(first.items())]
    insert_new(Release, ["project_id", "version", "first_seen"], rows, ["project_id", "version"])


_EVENT_COLUMNS = [
    "project_id", "issue_id", "grouping_hash", "event_id", "timestamp", "received_at", "level",
    "release", "environment", "platform", "user_ident", "transaction", "tags", "payload",
    "processing_error",
]  # fmt: skip


def _insert_events(
    prepared: list[Prepared], issues: dict[tuple[int, str], Issue]
) -> set[tuple[int, str]]:
    rows = []
    for p in prepared:
        d = p.data
        rows.append((
            p.project_id, issues[(p.project_id, p.grouping.hash)].pk, p.grouping.hash,
            p.event_id, p.timestamp,
            p.received_at, d.get("level", "error"), d.get("release", ""),
            d.get("environment", "")[:250], d.get("platform", ""), normalize.user_ident(d),
            d.get("transaction", "")[:250], orjson.dumps(p.tags).decode(),
            payload.encode(d, p.project_id, json=p.json), p.error,
        ))  # fmt: skip
    returned = insert_new(
        Event,
        _EVENT_COLUMNS,
        rows,
        unique=["project_id", "event_id"],
        returning=["project_id", "event_id"],
    )
    return {(pid, eid) for pid, eid in returned}
