"""Retention: keep at most N events and D days of events per project.

Deletes in bounded chunks (short transactions, no long locks). Issue counters are totals of
events ever seen, so deleting stored events leaves them exact.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from events.models import Event
from projects.models import Project

logger = logging.getLogger(__name__)

CHUNK = 1000


# What a caller that runs retention again and again (the worker) remembers per project: the
# newest event id and the count limit when the project was last found within that limit.
Checked = dict[int, tuple[int, int]]
# What a deleted event had added to the aggregates over it, for `on_delete`.
DELETED_FIELDS = ["issue_id", "timestamp", "tags", "level", "release", "environment", "user_ident"]
Deleted = tuple[int, datetime, dict[str, Any], str, str, str, str]
OnDelete = Callable[[list[Deleted]], None]


def enforce_retention(
    max_chunks: int = 50, checked: Checked | None = None, on_delete: OnDelete | None = None
) -> int:
    """One pass over all projects; returns how many events were deleted. `on_delete` gets
    each chunk's deleted events inside the transaction that deletes them (the issues app
    subtracts them from its tag counts and buckets: `issues.aggregates.forget_events`)."""
    deleted = 0
    for project in Project.objects.only(
        "id", "retention_max_events", "retention_max_days"
    ).iterator():
        deleted += enforce_for_project(project, max_chunks, checked, on_delete)
    if deleted:
        logger.info("retention deleted %d events", deleted)
    return deleted


def enforce_for_project(
    project: Project,
    max_chunks: int = 50,
    checked: Checked | None = None,
    on_delete: OnDelete | None = None,
) -> int:
    """Delete events past the project's age and count limits, oldest first.

    Finding the count limit's boundary walks `keep` index entries, so with `checked` it is
    skipped while no event came in and the limit is unchanged since the project was last
    found within it: an idle worker then costs two index probes per project and pass."""
    events = Event.objects.filter(project_id=project.pk)
    cutoff = timezone.now() - timedelta(days=project.effective_retention_days())
    keep = project.effective_retention_events()
    state = (events.order_by("-id").values_list("id", flat=True).first() or 0, keep)
    max_id = 0
    if checked is None or checked.get(project.pk) != state:
        # The id of the newest event beyond the count limit: it and everything older goes.
        beyond = events.order_by("-id").values_list("id", flat=True)[keep : keep + 1]
        max_id = beyond[0] if beyond else 0
    deleted, within = 0, False
    for _ in range(max_chunks):
        chunk = list(
            events.filter(id__lte=max_id).order_by("id").values_list("id", flat=True)[:CHUNK]
        ) or list(
            events.filter(received_at__lt=cutoff)
            .order_by("id")
            .values_list("id", flat=True)[:CHUNK]
        )
        if not chunk:
            within = True
            break
        with transaction.atomic():
            doomed = Event.objects.filter(id__in=chunk)
            if on_delete is not None:
                # Locked, so that a concurrent pass cannot subtract the same events again.
                rows = list(doomed.select_for_update().values_list(*DELETED_FIELDS))
            deleted += doomed.delete()[0]
            if on_delete is not None:
                on_delete(rows)  # type: ignore[arg-type]  # values_list rows are these tuples
    if checked is not None:
        if within:
            checked[project.pk] = state
        else:  # the chunk budget ran out first: look again next time
            checked.pop(project.pk, None)
    return deleted
