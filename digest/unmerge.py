"""Unmerge: some of a merged issue's grouping hashes leave it for a new issue, with their
events. It lives in the digest because it regroups events: the new issue's title, tag counts
and hourly buckets are rebuilt from the moved events as the digest would have counted them.

Lock order is the digest's: the project (for the new short id), then the parent issue.
Counts of events that retention already deleted stay with the parent: they can no longer be
told apart.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.bulksql import upsert_add
from digest import summary
from events.models import Event
from events.payload import decode
from issues import aggregates
from issues.merge import MergeError
from issues.models import (
    GroupingHash,
    HistoryKind,
    Issue,
    IssueBucket,
    IssueHistory,
    IssueMinute,
    IssueTagValue,
)
from projects.models import Project

CHUNK = 1000


def unmerge(issue: Issue, hashes: Sequence[str], user: User | None) -> Issue:
    """Move `hashes` (some, not all, of the issue's) and their events to a new issue."""
    chosen = sorted(set(hashes))
    with transaction.atomic():
        project = Project.objects.select_for_update(no_key=True).get(pk=issue.project_id)
        parent = Issue.objects.select_for_update().get(pk=issue.pk)
        own = set(GroupingHash.objects.filter(issue=parent).values_list("hash", flat=True))
        if not chosen or not set(chosen) <= own:
            raise MergeError("Choose hashes of this issue to unmerge.")
        if set(chosen) == own:
            raise MergeError("An issue keeps at least one of its hashes.")
        moved = Event.objects.filter(issue=parent, grouping_hash__in=chosen)
        if parent.grouping_hash in chosen:
            moved = Event.objects.filter(
                Q(grouping_hash__in=chosen) | Q(grouping_hash=""), issue=parent
            )
        old_own = parent.grouping_hash
        if old_own in chosen:  # the parent's own hash leaves: another of its hashes is its own
            parent.grouping_hash = min(own - set(chosen))
            parent.save(update_fields=["grouping_hash"])
        counts = _count(moved.order_by("received_at", "id"))
        new = _new_issue(project, parent, chosen, counts)
        project.next_short_id += 1
        project.save(update_fields=["next_short_id"])
        GroupingHash.objects.filter(issue=parent, hash__in=chosen).update(issue=new)
        # Events with an empty hash had the parent's old own hash: say it before they move.
        moved.filter(grouping_hash="").update(grouping_hash=old_own)
        Event.objects.filter(issue=parent, grouping_hash__in=chosen).update(issue=new)
        _move_counters(parent, new, counts)
        parent.event_count = max(0, parent.event_count - counts.events)
        parent.save(update_fields=["event_count"])
        now = timezone.now()
        who = user
        IssueHistory.objects.bulk_create(
            [
                IssueHistory(
                    issue=parent, kind=HistoryKind.UNMERGED, created_at=now, user=who,
                    data={"hashes": chosen, "to": new.short_code},
                ),
                IssueHistory(
                    issue=new, kind=HistoryKind.UNMERGED, created_at=now, user=who,
                    data={"hashes": chosen, "from": parent.short_code},
                ),
            ]
        )  # fmt: skip
    return new


class _Counts:
    def __init__(self) -> None:
        self.events = 0
        self.first: Event | None = None
        self.last: Event | None = None
        self.first_data: dict = {}
        self.environments: list[str] = []
        self.first_release = ""
        self.tags: dict[tuple[str, str], list] = {}
        self.buckets: dict[datetime, int] = defaultdict(int)
        self.minutes: dict[datetime, int] = defaultdict(int)


def _count(events) -> _Counts:  # type: ignore[no-untyped-def]  # a QuerySet[Event]
    counts = _Counts()
    for event in events.iterator(chunk_size=CHUNK):
        counts.events += 1
        counts.last = event
        try:
            data = decode(event.payload)
        except Exception:  # an unreadable payload still counts, without tags
            data = {}
        if counts.first is None:
            counts.first, counts.first_data = event, data
        if event.environment and event.environment not in counts.environments:
            counts.environments.append(event.environment)
        counts.first_release = counts.first_release or event.release
        ts = event.timestamp
        counts.buckets[ts.replace(minute=0, second=0, microsecond=0)] += 1
        counts.minutes[ts.replace(second=0, microsecond=0)] += 1
        # What the digest counted for the event (Event.tags), which retention subtracts later.
        stored = aggregates.counted_tags(
            event.tags, event.level, event.release, event.environment, event.user_ident
        )
        for tag in stored.items():
            entry = counts.tags.setdefault(tag, [0, ts, ts])
            entry[0] += 1
            entry[1], entry[2] = min(entry[1], ts), max(entry[2], ts)
    return counts


def _new_issue(project: Project, parent: Issue, chosen: list[str], counts: _Counts) -> Issue:
    data, first, last = counts.first_data, counts.first, counts.last
    now = timezone.now()
    return Issue.objects.create(
        project=project,
        short_id=project.next_short_id,
        grouping_hash=chosen[0],
        grouping_version=parent.grouping_version,
        title=summary.title(data) if data else parent.title,
        culprit=summary.culprit(data) if data else parent.culprit,
        message=parent.message if not data else (data.get("message") or "")[:10_000],
        level=first.level if first else parent.level,
        platform=first.platform if first else parent.platform,
        status=parent.status,
        first_seen=first.timestamp if first else now,
        last_seen=last.timestamp if last else now,
        event_count=counts.events,
        first_release=counts.first_release,
        last_release=last.release if last else "",
        environments=counts.environments,
    )


def _move_counters(parent: Issue, new: Issue, counts: _Counts) -> None:
    """The moved events' tags, buckets and minute counts: added to the new issue, taken from
    the parent. (Minute rows older than a day are pruned anyway; the pruned ones stay.)"""
    for issue_id, sign in ((new.pk, 1), (parent.pk, -1)):
        upsert_add(
            IssueTagValue,
            ["issue_id", "key", "value"],
            [(issue_id, k, v, sign * n, a, b) for (k, v), (n, a, b) in sorted(counts.tags.items())],
        )
        upsert_add(
            IssueBucket,
            ["issue_id", "hour"],
            [(issue_id, h, sign * n) for h, n in sorted(counts.buckets.items())],
            first=None,
            last=None,
        )
        upsert_add(
            IssueMinute,
            ["issue_id", "minute"],
            [(issue_id, m, sign * n) for m, n in sorted(counts.minutes.items())],
            first=None,
            last=None,
        )
    IssueTagValue.objects.filter(issue=parent, count__lte=0).delete()
    IssueBucket.objects.filter(issue=parent, count__lte=0).delete()
    IssueMinute.objects.filter(issue=parent, count__lte=0).delete()
