"""Realistic demo data, fast: issues with events, tag counts, hourly buckets and history.

Issues are made from real SDK payloads (the repo's fixtures and the shared corpus), each with
its own exception type, function and message; event counts per issue follow a Zipf curve (a
few issues hold most events, most hold a handful), over `days` with releases advancing in
time. Rows are written in bulk: PostgreSQL COPY (psycopg 3) where available, `bulk_create`
in chunks elsewhere. Everything the digest keeps per issue (counters, tags, buckets, history)
agrees with the events written, so the UI shows consistent figures.
"""

import hashlib
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from django.db import connection, models, transaction

from bench.demoshape import grouping_of, normalizer, templates_from_corpus, title_of
from events.models import Event
from events.payload import encode
from issues.models import (
    GroupingHash,
    HistoryKind,
    Issue,
    IssueBucket,
    IssueHistory,
    IssueStatus,
    IssueTagValue,
)
from projects.models import Project

VERBS = [
    "load",
    "save",
    "sync",
    "parse",
    "render",
    "validate",
    "send",
    "fetch",
    "refresh",
    "compute",
    "export",
    "import",
]
NOUNS = [
    "invoice",
    "order",
    "user",
    "session",
    "payment",
    "cart",
    "report",
    "upload",
    "token",
    "webhook",
    "profile",
]
HOSTS = ["db-1.internal", "cache-2.internal", "api.stripe.com", "s3.amazonaws.com"]
ENVIRONMENTS = (["production", "staging", "development"], [75, 20, 5])
BROWSERS = (["Chrome 131", "Firefox 133", "Safari 18.1", "Edge 131"], [60, 15, 18, 7])
OSES = (["Linux", "Windows 11", "macOS 15", "iOS 18", "Android 15"], [40, 25, 20, 10, 5])
TIERS = (["free", "pro", "enterprise"], [70, 25, 5])
STATUSES = ([IssueStatus.UNRESOLVED, IssueStatus.RESOLVED, IssueStatus.IGNORED], [75, 15, 10])
RELEASES = 12
CHUNK = 5000


def zipf_counts(issues: int, events: int, rng: random.Random) -> list[int]:
    """`events` spread over `issues` (each at least one) along 1/rank, in random order."""
    weights = [1 / (rank + 1) for rank in range(issues)]
    spare = events - issues
    scale = spare / sum(weights)
    counts = [1 + int(w * scale) for w in weights]
    for i in range(events - sum(counts)):  # rounding leftovers go to the biggest issues
        counts[i % issues] += 1
    rng.shuffle(counts)
    return counts


class BulkWriter:
    """Writes rows of a model's fields; other fields get their defaults."""

    def __init__(self, model: type[models.Model], fields: list[str]) -> None:
        self.model, self.fields = model, fields
        meta = model._meta
        self.json_at = [
            i for i, name in enumerate(fields) if isinstance(meta.get_field(name), models.JSONField)
        ]
        rest = [f for f in meta.concrete_fields if f.attname not in fields and not f.primary_key]
        self.default_names = [f.column for f in rest]
        self.default_values = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
        self.columns = [meta.get_field(name).column for name in fields] + self.default_names

    def write(self, rows: Iterable[tuple]) -> int:
        if connection.vendor == "postgresql":
            return self._copy(rows)
        written, batch = 0, []
        for row in rows:
            batch.append(self.model(**dict(zip(self.fields, row, strict=True))))
            if len(batch) >= CHUNK:
                written += len(self.model.objects.bulk_create(batch))
                batch = []
        return written + len(self.model.objects.bulk_create(batch))

    def _copy(self, rows: Iterable[tuple]) -> int:
        table = self.model._meta.db_table
        columns = ", ".join(f'"{c}"' for c in self.columns)
        sql = f'COPY "{table}" ({columns}) FROM STDIN'
        written = 0
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                if self.json_at:
                    row = list(row)
                    for i in self.json_at:
                        row[i] = orjson.dumps(row[i]).decode()
                copy.write_row((*row, *self.default_values))
                written += 1
        return written


class DemoData:
    def __init__(self, project: Project, issues: int, events: int, days: int, seed: int,
                 corpora: Sequence[Path], log: Callable[[str], None] = print) -> None:  # fmt: skip
        if events < issues:
            raise ValueError("need at least one event per issue")
        self.project, self.issues, self.events = project, issues, events
        self.rng = random.Random(seed)
        self.now = time.time()
        self.start = self.now - days * 86400
        self.log = log
        self.normalize = normalizer()
        self.templates = [self.normalize(t) for c in corpora for t in templates_from_corpus(c)]
        self.releases = [f"{project.slug}@1.{n}.0" for n in range(RELEASES)]
        self.tag_rows: list[tuple] = []
        self.bucket_rows: list[tuple] = []
        self.history_rows: list[tuple] = []

    def run(self) -> dict[str, int]:
        started = time.monotonic()
        counts = zipf_counts(self.issues, self.events, self.rng)
        with transaction.atomic():
            plans = [self._plan_issue(n) for n in counts]
            self._create_issues(plans)
            self.log(f"{len(plans)} issues in {time.monotonic() - started:.1f}s")
            written = BulkWriter(Event, EVENT_FIELDS).write(self._event_rows(plans))
            self.log(f"{written} events in {time.monotonic() - started:.1f}s")
            BulkWriter(IssueTagValue, TAG_FIELDS).write(self.tag_rows)
            BulkWriter(IssueBucket, ["issue_id", "hour", "count"]).write(self.bucket_rows)
            BulkWriter(IssueHistory, HISTORY_FIELDS).write(self.history_rows)
            self._create_releases()
            Project.objects.filter(pk=self.project.pk).update(
                next_short_id=models.F("next_short_id") + len(plans)
            )
        # Fresh statistics (or the planner guesses 1 row) and the visibility map that a live
        # database's autovacuum keeps (index-only scans need it), as soon as the bulk load ends.
        # VACUUM cannot run inside a transaction (a test's), ANALYZE alone can.
        if connection.vendor == "postgresql":
            command = "VACUUM (ANALYZE)" if connection.get_autocommit() else "ANALYZE"
            with connection.cursor() as cursor:
                for model in (Issue, Event, IssueTagValue, IssueBucket, IssueHistory):
                    cursor.execute(f'{command} "{model._meta.db_table}"')
        self.log(f"done in {time.monotonic() - started:.1f}s")
        return {"issues": len(plans), "events": written, "tag_values": len(self.tag_rows),
                "buckets": len(self.bucket_rows), "history": len(self.history_rows)}  # fmt: skip

    def _create_releases(self) -> None:
        """Releases in the order they appeared, where the digest keeps them (if it does)."""
        from issues import models as issue_models

        release = getattr(issue_models, "Release", None)
        if release is None:
            return
        step = (self.now - self.start) / RELEASES
        release.objects.bulk_create(
            [release(project=self.project, version=v, first_seen=_dt(self.start + n * step))
             for n, v in enumerate(self.releases)],
            ignore_conflicts=True,
        )  # fmt: skip

    def _release_at(self, ts: float) -> str:
        n = int((ts - self.start) / (self.now - self.start + 1) * RELEASES)
        if n and self.rng.random() < 0.1:
            n -= 1  # some hosts lag one release behind
        return self.releases[min(n, RELEASES - 1)]

    def _plan_issue(self, count: int) -> dict[str, Any]:
        rng = self.rng
        status = rng.choices(*STATUSES)[0]
        first = rng.uniform(self.start, self.now - 600)
        end = self.now if status == IssueStatus.UNRESOLVED else rng.uniform(first, self.now)
        times = sorted(rng.uniform(first, end) for _ in range(count))
        times[0] = first
        payload = self._variant(rng.choice(self.templates))
        title, culprit, message = title_of(payload)
        return {"count": count, "status": status, "times": times, "payload": payload,
                "title": title, "culprit": culprit, "message": message}  # fmt: skip

    def _variant(self, template: dict[str, Any]) -> dict[str, Any]:
        """A copy of the template with its own exception type, function and message."""
        rng = self.rng
        payload = orjson.loads(orjson.dumps(template))
        noun, verb = rng.choice(NOUNS), rng.choice(VERBS)
        text = rng.choice(
            [f"{noun} {rng.randrange(10**6)} not found", f"cannot {verb} {noun}: bad state",
             f"timeout talking to {rng.choice(HOSTS)}", f"{noun}_id must be an integer"]
        )  # fmt: skip
        values = (payload.get("exception") or {}).get("values") or []
        if values and isinstance(values[-1], dict):
            top = values[-1]
            top["type"] = top.get("type") or "Error"
            top["value"] = text
            frames = [f for f in ((top.get("stacktrace") or {}).get("frames") or []) if f]
            in_app = [f for f in frames if isinstance(f, dict) and f.get("in_app")] or frames
            if in_app and isinstance(in_app[-1], dict):
                in_app[-1]["function"] = f"{verb}_{noun}_{rng.randrange(1000)}"
        else:
            payload["logentry"] = {"message": text, "formatted": text, "params": []}
            payload["message"] = text
        return payload

    def _create_issues(self, plans: list[dict[str, Any]]) -> None:
        next_id, hashes = self.project.next_short_id, set()
        objs = []
        for n, plan in enumerate(plans):
            times, payload = plan["times"], plan["payload"]
            key = f"{self.project.pk}:{next_id + n}:{plan['title']}"
            grouping_hash, version, components = grouping_of(payload)
            if grouping_hash in hashes:  # two variants that group alike: keep both issues
                grouping_hash = hashlib.sha256(key.encode()).hexdigest()
            hashes.add(grouping_hash)
            objs.append(
                Issue(
                    project=self.project,
                    short_id=next_id + n,
                    grouping_hash=grouping_hash,
                    grouping_version=version,
                    grouping_components=components,
                    title=plan["title"][:500],
                    culprit=plan["culprit"][:500],
                    message=plan["message"],
                    level=payload.get("level") or "error",
                    platform=str(payload.get("platform") or "")[:64],
                    status=plan["status"],
                    first_seen=_dt(times[0]),
                    last_seen=_dt(times[-1]),
                    event_count=len(times),
                    first_release=self._release_at(times[0]),
                    last_release=self._release_at(times[-1]),
                    environments=ENVIRONMENTS[0],
                )
            )
        for start in range(0, len(objs), CHUNK):
            Issue.objects.bulk_create(objs[start : start + CHUNK])
        hash_rows = [
            GroupingHash(project=self.project, hash=i.grouping_hash, issue=i) for i in objs
        ]
        for start in range(0, len(hash_rows), CHUNK):
            GroupingHash.objects.bulk_create(hash_rows[start : start + CHUNK])
        for plan, issue in zip(plans, objs, strict=True):
            plan["issue_id"] = issue.pk

    def _event_rows(self, plans: list[dict[str, Any]]) -> Iterator[tuple]:
        rng, pid = self.rng, self.project.pk
        for plan in plans:
            times, base, issue_id = plan["times"], plan["payload"], plan["issue_id"]
            n = len(times)
            level, platform = base.get("level") or "error", str(base.get("platform") or "")[:64]
            transaction_name = str(base.get("transaction") or plan["culprit"])[:250]
            envs = rng.choices(*ENVIRONMENTS, k=n)
            browsers, oses = rng.choices(*BROWSERS, k=n), rng.choices(*OSES, k=n)
            tiers, servers = rng.choices(*TIERS, k=n), [f"web-{rng.randrange(8)}" for _ in times]
            tags_seen: dict[tuple[str, str], list] = {}
            hours: Counter[int] = Counter()
            for k, ts in enumerate(times):
                event_id = f"{rng.getrandbits(128):032x}"
                release = self._release_at(ts)
                user = f"user-{rng.randrange(5000)}"
                tags = {"environment": envs[k], "release": release, "level": level,
                        "server_name": servers[k], "browser": browsers[k], "os": oses[k],
                        "customer_tier": tiers[k]}  # fmt: skip
                event = dict(base)
                event.update(
                    event_id=event_id, timestamp=ts, release=release, environment=envs[k],
                    level=level, tags=[[key, value] for key, value in tags.items()],
                    user={"id": user, "email": f"{user}@example.com"},
                    server_name=servers[k],
                )  # fmt: skip
                if k == 0:
                    self._history(plan, event_id)
                for pair in (*tags.items(), ("user", user)):  # the digest counts users too
                    seen = tags_seen.get(pair)
                    if seen is None:
                        tags_seen[pair] = [1, ts, ts]
                    else:
                        seen[0] += 1
                        seen[2] = ts
                hours[int(ts // 3600)] += 1
                received = ts + rng.uniform(0.05, 2.0)
                yield (pid, issue_id, event_id, _dt(ts), _dt(received), level, release, envs[k],
                       platform, user, transaction_name, {**tags, "user": user}, encode(event),
                       "")  # fmt: skip
            self.tag_rows += [
                (issue_id, key, value, c, _dt(first), _dt(last))
                for (key, value), (c, first, last) in tags_seen.items()
            ]
            self.bucket_rows += [(issue_id, _dt(h * 3600), c) for h, c in hours.items()]

    def _history(self, plan: dict[str, Any], event_id: str) -> None:
        times, issue_id = plan["times"], plan["issue_id"]
        rows = [(issue_id, HistoryKind.FIRST_SEEN, _dt(times[0]), "digest", event_id, {})]
        after = min(times[-1] + 3600 * self.rng.uniform(0.5, 48), self.now)
        if plan["status"] == IssueStatus.RESOLVED:
            rows.append((issue_id, HistoryKind.RESOLVED, _dt(after), "demo", "", {}))
        elif plan["status"] == IssueStatus.IGNORED:
            rows.append((issue_id, HistoryKind.IGNORED, _dt(after), "demo", "", {}))
        elif len(times) > 10 and self.rng.random() < 0.1:
            middle = times[len(times) // 2]
            rows.append((issue_id, HistoryKind.RESOLVED, _dt(middle - 60), "demo", "", {}))
            rows.append((issue_id, HistoryKind.REGRESSED, _dt(middle), "digest", "", {}))
        self.history_rows += rows


EVENT_FIELDS = ["project_id", "issue_id", "event_id", "timestamp", "received_at", "level",
                "release", "environment", "platform", "user_ident", "transaction", "tags",
                "payload", "processing_error"]  # fmt: skip
TAG_FIELDS = ["issue_id", "key", "value", "count", "first_seen", "last_seen"]
HISTORY_FIELDS = ["issue_id", "kind", "created_at", "actor", "event_id", "data"]


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
