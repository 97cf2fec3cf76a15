"""Retention: keep at most N events and D days of events per project.

Deletes in bounded chunks (short transactions, no long locks). Issue counters are totals of
events ever seen, so deleting stored events leaves them exact.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from events.models import Event
from projects.models import Project

logger = logging.getLogger(__name__)

CHUNK = 1000


# What a caller that runs retention again and again (the worker) remembers per project: the
# newest event id and the count limit when the project was last found within that limit.
Checked = dict[int, tuple[int, int]]


def enforce_retention(max_chunks: int = 50, checked: Checked | None = None) -> int:
    """One pass over all projects; returns how many events were deleted."""
    deleted = 0
    for project in Project.objects.only(
        "id", "retention_max_events", "retention_max_days"
    ).iterator():
        deleted += enforce_for_project(project, max_chunks, checked)
    if deleted:
        logger.info("retention deleted %d events", deleted)
    return deleted


def enforce_for_project(
    project: Project, max_chunks: int = 50, checked: Checked | None = None
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
            deleted += Event.objects.filter(id__in=chunk).delete()[0]
    if checked is not None:
        if within:
            checked[project.pk] = state
        else:  # the chunk budget ran out first: look again next time
            checked.pop(project.pk, None)
    return deleted
