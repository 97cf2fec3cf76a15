"""Issue status transitions; every one is recorded in the issue's history with its actor."""

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from packaging.version import InvalidVersion, Version

from issues.models import HistoryKind, Issue, IssueHistory, IssueStatus


def _record(issue: Issue, kind: str, user: User | None, actor: str, **data: object) -> None:
    IssueHistory.objects.create(
        issue=issue,
        kind=kind,
        created_at=timezone.now(),
        user=user if user is not None and user.is_authenticated else None,
        actor=actor or (user.get_username() if user is not None else ""),
        data=data,
    )


def _set_status(
    issue: Issue,
    status: str,
    *,
    release: str = "",
    until: datetime | None = None,
    until_count: int | None = None,
) -> None:
    """Set the status and clear whatever condition the previous status carried."""
    issue.status = status
    issue.resolved_in_release = release
    issue.ignore_until = until
    issue.ignore_until_count = until_count
    fields = ["status", "resolved_in_release", "ignore_until", "ignore_until_count"]
    if status in (IssueStatus.RESOLVED, IssueStatus.RESOLVED_NEXT_RELEASE):
        issue.resolved_at = timezone.now()  # events queued before this don't reopen it
        fields.append("resolved_at")
    issue.save(update_fields=fields)


@transaction.atomic
def resolve(issue: Issue, user: User | None = None, actor: str = "") -> None:
    _set_status(issue, IssueStatus.RESOLVED)
    _record(issue, HistoryKind.RESOLVED, user, actor)


@transaction.atomic
def resolve_in_next_release(issue: Issue, user: User | None = None, actor: str = "") -> None:
    """Resolved until an event arrives from a release newer than the current latest one."""
    _set_status(issue, IssueStatus.RESOLVED_NEXT_RELEASE, release=issue.last_release)
    _record(issue, HistoryKind.RESOLVED_NEXT_RELEASE, user, actor, release=issue.last_release)


@transaction.atomic
def unresolve(issue: Issue, user: User | None = None, actor: str = "") -> None:
    _set_status(issue, IssueStatus.UNRESOLVED)
    _record(issue, HistoryKind.UNRESOLVED, user, actor)


@transaction.atomic
def ignore(
    issue: Issue,
    user: User | None = None,
    actor: str = "",
    duration: timedelta | None = None,
    more_events: int | None = None,
) -> None:
    """Ignore forever, for a duration, or until `more_events` more events arrive."""
    until: datetime | None = timezone.now() + duration if duration else None
    count = issue.event_count + more_events if more_events else None
    _set_status(issue, IssueStatus.IGNORED, until=until, until_count=count)
    _record(
        issue,
        HistoryKind.IGNORED,
        user,
        actor,
        until=until.isoformat() if until else None,
        more_events=more_events,
    )


# ---- transitions made by the digest ------------------------------------------------------
# These change the issue in memory and return an unsaved history row: the digest saves issues
# and history for a whole batch in bulk, inside its transaction.

DIGEST_ACTOR = "digest"


def regress(issue: Issue, event_id: str, now: datetime) -> IssueHistory:
    """An event arrived for a resolved issue: it is open again."""
    previous = issue.status
    issue.status = IssueStatus.UNRESOLVED
    issue.resolved_in_release = ""
    return IssueHistory(
        issue=issue,
        kind=HistoryKind.REGRESSED,
        created_at=now,
        actor=DIGEST_ACTOR,
        event_id=event_id,
        data={"previous_status": previous},
    )


def unignore(issue: Issue, event_id: str, now: datetime, reason: str) -> IssueHistory:
    """The ignore condition ran out (time passed or event count reached)."""
    issue.status = IssueStatus.UNRESOLVED
    issue.ignore_until = issue.ignore_until_count = None
    return IssueHistory(
        issue=issue,
        kind=HistoryKind.UNIGNORED,
        created_at=now,
        actor=DIGEST_ACTOR,
        event_id=event_id,
        data={"reason": reason},
    )


def ignore_ran_out(issue: Issue, now: datetime) -> str:
    """Why an ignored issue wakes up now ("" if it stays ignored); call after counting."""
    if issue.ignore_until is not None and now >= issue.ignore_until:
        return "until"
    if issue.ignore_until_count is not None and issue.event_count >= issue.ignore_until_count:
        return "count"
    return ""


def is_newer_release(candidate: str, resolved: str, first_seen: dict[str, datetime]) -> bool:
    """Is `candidate` newer than `resolved` (the release current when it was resolved)?

    Both parse as versions (PEP 440 / semver-like, optional `name@` prefix): compare them.
    Otherwise: the one this project saw first is older. No release on the event: not newer.
    """
    if not candidate or candidate == resolved:
        return False
    if not resolved:
        return True
    a, b = _version(candidate), _version(resolved)
    if a is not None and b is not None:
        return a > b
    seen_a, seen_b = first_seen.get(candidate), first_seen.get(resolved)
    if seen_a is None or seen_b is None:
        return True  # a release we have no record of cannot be shown to be older
    return seen_a > seen_b


def _version(release: str) -> Version | None:
    text = release.rsplit("@", 1)[-1].strip()
    try:
        return Version(text)
    except InvalidVersion:
        return None
