"""PUT bodies for an issue (`{"status": ...}`) parsed and applied through issues.lifecycle."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User

from issues import lifecycle
from issues.models import Issue, IssueStatus

# Ignore conditions we cannot honour: refusing them beats ignoring an issue forever by surprise.
UNSUPPORTED = ("ignoreWindow", "ignoreUserCount", "ignoreUserWindow", "ignoreUntilEscalating")
MAX_MINUTES = 10 * 365 * 24 * 60
MAX_COUNT = 10**12


class StatusError(ValueError):
    """A body we cannot act on; its message becomes the 400's `detail`."""


@dataclass(frozen=True)
class StatusChange:
    status: str  # one of IssueStatus
    ignore_minutes: int | None = None
    ignore_count: int | None = None


def _positive(name: str, value: Any, maximum: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= maximum:
        raise StatusError(f"{name} must be a positive whole number.")
    return value


DURATION_KEYS = ("ignoreDuration", "snoozeDuration")


def _first(body: dict, details: dict, keys: tuple[str, ...]) -> Any:
    """The first value given under any of `keys`, in the body or in its statusDetails."""
    for source in (body, details):
        for key in keys:
            if source.get(key) is not None:
                return source[key]
    return None


def parse(body: Any) -> StatusChange:
    if not isinstance(body, dict):
        raise StatusError("The body must be a JSON object.")
    details = body.get("statusDetails", {})
    if not isinstance(details, dict):
        raise StatusError("statusDetails must be an object.")
    status = body.get("status")
    if status is None:
        raise StatusError(
            "status is required (resolved, resolvedInNextRelease, unresolved, ignored)."
        )
    for name in UNSUPPORTED:
        if name in body or name in details:
            raise StatusError(f"{name} is not supported.")
    if status == "resolvedInNextRelease" or (status == "resolved" and details.get("inNextRelease")):
        return StatusChange(IssueStatus.RESOLVED_NEXT_RELEASE)
    if status == "resolved":
        if details.get("inRelease") or details.get("inCommit"):
            raise StatusError("Only inNextRelease is supported in statusDetails for resolved.")
        return StatusChange(IssueStatus.RESOLVED)
    if status == "unresolved":
        return StatusChange(IssueStatus.UNRESOLVED)
    if status in ("ignored", "archived", "muted"):
        # snoozeDuration is the older name, still sent by sentry-cli.
        minutes = _positive("ignoreDuration", _first(body, details, DURATION_KEYS), MAX_MINUTES)
        count = _positive("ignoreCount", _first(body, details, ("ignoreCount",)), MAX_COUNT)
        return StatusChange(IssueStatus.IGNORED, ignore_minutes=minutes, ignore_count=count)
    raise StatusError("status must be one of resolved, resolvedInNextRelease, unresolved, ignored.")


def is_noop(issue: Issue, change: StatusChange) -> bool:
    """Setting the status an issue already has records nothing, as in Sentry."""
    if issue.status != change.status:
        return False
    if change.status == IssueStatus.IGNORED:
        unconditional = issue.ignore_until is None and issue.ignore_until_count is None
        return unconditional and change.ignore_minutes is None and change.ignore_count is None
    return True


def apply(issue: Issue, change: StatusChange, user: User) -> None:
    if is_noop(issue, change):
        return
    if change.status == IssueStatus.RESOLVED:
        lifecycle.resolve(issue, user=user)
    elif change.status == IssueStatus.RESOLVED_NEXT_RELEASE:
        lifecycle.resolve_in_next_release(issue, user=user)
    elif change.status == IssueStatus.UNRESOLVED:
        lifecycle.unresolve(issue, user=user)
    else:
        duration = timedelta(minutes=change.ignore_minutes) if change.ignore_minutes else None
        lifecycle.ignore(issue, user=user, duration=duration, more_events=change.ignore_count)


def change_json(change: StatusChange) -> dict[str, Any]:
    """What a bulk update answers, as Sentry: the status and details that were applied."""
    if change.status == IssueStatus.RESOLVED_NEXT_RELEASE:
        return {"status": "resolved", "statusDetails": {"inNextRelease": True}}
    details: dict[str, Any] = {}
    if change.ignore_minutes is not None:
        details["ignoreDuration"] = change.ignore_minutes
    if change.ignore_count is not None:
        details["ignoreCount"] = change.ignore_count
    return {"status": str(change.status), "statusDetails": details}
