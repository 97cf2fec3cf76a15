"""Issue status transitions; every one is recorded in the issue's history with its actor."""

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from issues.models import HistoryKind, Issue, IssueHistory, IssueStatus


def _record(
    issue: Issue, kind: str, user: AbstractBaseUser | None, actor: str, **data: object
) -> None:
    IssueHistory.objects.create(
        issue=issue,
        kind=kind,
        created_at=timezone.now(),
        user=user if user is not None and user.is_authenticated else None,
        actor=actor or (user.get_username() if user is not None else ""),
        data=data,
    )


@transaction.atomic
def resolve(issue: Issue, user: AbstractBaseUser | None = None, actor: str = "") -> None:
    issue.status = IssueStatus.RESOLVED
    issue.resolved_in_release = ""
    issue.ignore_until = issue.ignore_until_count = None
    issue.save(
        update_fields=["status", "resolved_in_release", "ignore_until", "ignore_until_count"]
    )
    _record(issue, HistoryKind.RESOLVED, user, actor)


@transaction.atomic
def resolve_in_next_release(
    issue: Issue, user: AbstractBaseUser | None = None, actor: str = ""
) -> None:
    """Resolved until an event arrives from a release newer than the current latest one."""
    issue.status = IssueStatus.RESOLVED_NEXT_RELEASE
    issue.resolved_in_release = issue.last_release
    issue.ignore_until = issue.ignore_until_count = None
    issue.save(
        update_fields=["status", "resolved_in_release", "ignore_until", "ignore_until_count"]
    )
    _record(issue, HistoryKind.RESOLVED_NEXT_RELEASE, user, actor, release=issue.last_release)


@transaction.atomic
def unresolve(issue: Issue, user: AbstractBaseUser | None = None, actor: str = "") -> None:
    issue.status = IssueStatus.UNRESOLVED
    issue.resolved_in_release = ""
    issue.ignore_until = issue.ignore_until_count = None
    issue.save(
        update_fields=["status", "resolved_in_release", "ignore_until", "ignore_until_count"]
    )
    _record(issue, HistoryKind.UNRESOLVED, user, actor)


@transaction.atomic
def ignore(
    issue: Issue,
    user: AbstractBaseUser | None = None,
    actor: str = "",
    duration: timedelta | None = None,
    more_events: int | None = None,
) -> None:
    """Ignore forever, for a duration, or until `more_events` more events arrive."""
    until: datetime | None = timezone.now() + duration if duration else None
    issue.status = IssueStatus.IGNORED
    issue.resolved_in_release = ""
    issue.ignore_until = until
    issue.ignore_until_count = issue.event_count + more_events if more_events else None
    issue.save(
        update_fields=["status", "resolved_in_release", "ignore_until", "ignore_until_count"]
    )
    _record(
        issue,
        HistoryKind.IGNORED,
        user,
        actor,
        until=until.isoformat() if until else None,
        more_events=more_events,
    )
