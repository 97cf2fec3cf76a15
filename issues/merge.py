"""Merging issues: the parent takes its children's grouping hashes, events and counters.

Lock order is the digest's: issues sorted by (project, own hash). Merge locks the parent and
children `FOR UPDATE` before reading their counters, so a digest batch that holds one of them
finishes first and its counts are then moved; a batch that waits for a child finds it gone
and looks its hash up again (`digest/matching.py`), landing in the parent. Counter rows of an
issue are written only under that issue's lock, so they need no order of their own.
"""

from collections.abc import Sequence

from django.contrib.auth.models import User
from django.db import connection, models, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from events.models import Event
from issues.models import (
    GroupingHash,
    HistoryKind,
    Issue,
    IssueBucket,
    IssueHistory,
    IssueMinute,
    IssueRedirect,
    IssueTagValue,
)

MAX_MERGE = 100  # issues per merge: one transaction, bounded


class MergeError(ValueError):
    """Said to the person who asked for the merge."""


def merge(project_id: int, issue_ids: Sequence[int], user: User | None) -> Issue:
    """Merge the project's issues `issue_ids` into the one with the most events; returns it.
    Children's ids redirect to the parent afterwards (`IssueRedirect`)."""
    ids = sorted(set(issue_ids))
    if len(ids) < 2:
        raise MergeError("Select two or more issues to merge.")
    if len(ids) > MAX_MERGE:
        raise MergeError(f"Merge at most {MAX_MERGE} issues at once.")
    with transaction.atomic():
        locked = list(
            Issue.objects.select_for_update()
            .filter(project_id=project_id, pk__in=ids)
            .order_by("project_id", "grouping_hash")
        )
        if len(locked) != len(ids):
            raise MergeError("Some of these issues no longer exist.")
        parent = max(locked, key=lambda i: (i.event_count, -i.pk))  # Sentry: most events
        children = [i for i in locked if i.pk != parent.pk]
        child_ids = [c.pk for c in children]
        GroupingHash.objects.filter(issue_id__in=child_ids).update(issue=parent)
        # An event's empty hash means "its issue's own hash": spell it out before it moves.
        Event.objects.filter(issue_id__in=child_ids).update(
            issue=parent,
            grouping_hash=Case(
                *[
                    When(issue_id=c.pk, grouping_hash="", then=Value(c.grouping_hash))
                    for c in children
                ],
                default=F("grouping_hash"),
            ),
        )
        _add_counters(parent.pk, child_ids)
        _move_rows(parent, child_ids)
        IssueRedirect.objects.filter(issue_id__in=child_ids).update(issue=parent)
        IssueRedirect.objects.bulk_create(
            [IssueRedirect(project_id=project_id, old_id=c.pk, issue=parent) for c in children]
        )
        _roll_up(parent, children)
        parent.save(
            update_fields=["event_count", "first_seen", "last_seen", "first_release",
                           "last_release", "environments"]
        )  # fmt: skip
        IssueHistory.objects.create(
            issue=parent,
            kind=HistoryKind.MERGED,
            created_at=timezone.now(),
            user=user,
            data={"children": [c.short_code for c in children]},
        )
        Issue.objects.filter(pk__in=child_ids).delete()
    return parent


def _roll_up(parent: Issue, children: list[Issue]) -> None:
    everyone = [parent, *children]
    parent.event_count = sum(i.event_count for i in everyone)
    earliest = min(everyone, key=lambda i: i.first_seen)
    latest = max(everyone, key=lambda i: i.last_seen)
    parent.first_seen, parent.last_seen = earliest.first_seen, latest.last_seen
    parent.first_release = earliest.first_release or parent.first_release
    parent.last_release = latest.last_release or parent.last_release
    envs = list(parent.environments or [])
    for child in children:
        envs += [e for e in child.environments or [] if e not in envs]
    parent.environments = envs


def _add_counters(parent_id: int, child_ids: list[int]) -> None:
    """Children's tag counts, hourly buckets and minute counts (frequency rules) added into
    the parent's, one upsert each."""
    greatest, least = ("GREATEST", "LEAST") if connection.vendor == "postgresql" else ("MAX", "MIN")
    tags, buckets = IssueTagValue._meta.db_table, IssueBucket._meta.db_table
    minutes = IssueMinute._meta.db_table
    marks = ", ".join(["%s"] * len(child_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {tags} (issue_id, key, value, count, first_seen, last_seen) "
            f"SELECT %s, key, value, SUM(count), MIN(first_seen), MAX(last_seen) FROM {tags} "
            f"WHERE issue_id IN ({marks}) GROUP BY key, value ORDER BY key, value "
            "ON CONFLICT (issue_id, key, value) DO UPDATE SET "
            f"count = {tags}.count + excluded.count, "
            f"first_seen = {least}({tags}.first_seen, excluded.first_seen), "
            f"last_seen = {greatest}({tags}.last_seen, excluded.last_seen)",
            [parent_id, *child_ids],
        )
        cursor.execute(
            f"INSERT INTO {buckets} (issue_id, hour, count) "
            f"SELECT %s, hour, SUM(count) FROM {buckets} "
            f"WHERE issue_id IN ({marks}) GROUP BY hour ORDER BY hour "
            f"ON CONFLICT (issue_id, hour) DO UPDATE SET count = {buckets}.count + excluded.count",
            [parent_id, *child_ids],
        )
        cursor.execute(
            f"INSERT INTO {minutes} (issue_id, minute, count) "
            f"SELECT %s, minute, SUM(count) FROM {minutes} "
            f"WHERE issue_id IN ({marks}) GROUP BY minute ORDER BY minute "
            "ON CONFLICT (issue_id, minute) DO UPDATE SET "
            f"count = {minutes}.count + excluded.count",
            [parent_id, *child_ids],
        )


# Rows that are per issue and per something else (a tag, an hour, a hash) are merged above;
# every other row that points at an issue (history, alerts, comments, ...) simply moves.
_MERGED_ABOVE = {Event, GroupingHash, IssueTagValue, IssueBucket, IssueMinute, IssueRedirect}


def _move_rows(parent: Issue, child_ids: list[int]) -> None:
    for rel in Issue._meta.related_objects:
        model = rel.related_model
        if model in _MERGED_ABOVE or not isinstance(rel, models.ManyToOneRel):
            continue
        assert isinstance(model, type)
        on_merge = getattr(model, "on_issue_merge", None)
        if on_merge is not None:  # rows unique per issue and user: the model knows how
            on_merge(parent, child_ids)
            continue
        model._default_manager.filter(**{f"{rel.field.name}__in": child_ids}).update(
            **{rel.field.name: parent}
        )
