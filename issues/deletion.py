"""Deleting an issue with its events. The issue leaves every page and its hashes leave the
digest's lookup at once (its hash coming back makes a new issue); its events go in bounded
chunks, each its own short transaction, right away for a small issue and otherwise by the
worker (`purge`, beside retention), so one huge issue never holds a long transaction."""

from django.contrib.auth.models import User
from django.db import transaction

from events.models import Event
from issues.models import GroupingHash, Issue, IssueRedirect

CHUNK = 1000  # events per delete statement
NOW_CHUNKS = 2  # a request deletes this many chunks itself; the worker does the rest


def delete(issue: Issue, user: User | None) -> None:
    with transaction.atomic():
        locked = Issue.objects.select_for_update().filter(pk=issue.pk).first()
        if locked is None:
            return
        GroupingHash.objects.filter(issue=locked).delete()
        IssueRedirect.objects.filter(issue=locked).delete()
        locked.deleting = True
        locked.save(update_fields=["deleting"])
    purge_issue(issue.pk, NOW_CHUNKS)


def purge_issue(issue_id: int, max_chunks: int) -> int:
    """Delete up to `max_chunks` chunks of the issue's events, then the issue once none are
    left; returns the chunks used."""
    used = 0
    while used < max_chunks:
        ids = list(Event.objects.filter(issue_id=issue_id).values_list("pk", flat=True)[:CHUNK])
        if not ids:
            Issue.all_objects.filter(pk=issue_id, deleting=True).delete()
            break
        Event.objects.filter(pk__in=ids).delete()
        used += 1
    return used


def purge(max_chunks: int) -> int:
    """The worker's share: issues marked for deletion, oldest first, within `max_chunks`."""
    used = 0
    for issue_id in (
        Issue.all_objects.filter(deleting=True).order_by("pk").values_list("pk", flat=True)[:100]
    ):
        if used >= max_chunks:
            break
        used += purge_issue(issue_id, max_chunks - used)
    return used
