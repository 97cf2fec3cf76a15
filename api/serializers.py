"""Issues, events and projects as Sentry's web API spells them."""

import re
from datetime import datetime
from typing import Any

from django.conf import settings

from api.entries import Json, as_dict, as_list, as_str, entries, logentry, values_of
from digest import summary
from events import payload as payload_codec
from events.models import Event
from issues.models import Issue, IssueStatus
from projects.models import Project

EXCEPTION_TYPE = re.compile(r"[\w.$<>`:\[\]]+")


def iso(dt: datetime | None) -> str | None:
    return dt.isoformat().replace("+00:00", "Z") if dt is not None else None


def permalink(issue: Issue) -> str:
    # The issue page's path (URL name issues:detail), spelled out so the API has no dependency
    # on the UI's URLconf being loaded.
    return f"{settings.BASE_URL}/projects/{issue.project.slug}/issues/{issue.pk}/"


def project_json(project: Project) -> Json:
    return {"id": str(project.pk), "slug": project.slug, "name": project.name, "platform": None}


def organization_json() -> Json:
    slug = settings.ORGANIZATION_SLUG
    return {
        "id": "1",
        "slug": slug,
        "name": slug,
        "status": {"id": "active", "name": "active"},
        "isEarlyAdopter": False,
        "require2FA": False,
        "features": [],
    }


def project_detail_json(project: Project) -> Json:
    return {
        **project_json(project),
        "dateCreated": iso(project.created_at),
        "isMember": True,
        "hasAccess": True,
        "status": "active",
        "features": [],
        "organization": organization_json(),
    }


def status_json(issue: Issue) -> tuple[str, Json]:
    """Our four statuses as Sentry's status plus statusDetails."""
    if issue.status == IssueStatus.RESOLVED:
        return "resolved", {}
    if issue.status == IssueStatus.RESOLVED_NEXT_RELEASE:
        return "resolved", {"inNextRelease": True}
    if issue.status == IssueStatus.IGNORED:
        details: Json = {}
        if issue.ignore_until is not None:
            details["ignoreUntil"] = iso(issue.ignore_until)
        if issue.ignore_until_count is not None:
            details["ignoreCount"] = max(issue.ignore_until_count - issue.event_count, 0)
        return "ignored", details
    return "unresolved", {}


def issue_metadata(issue: Issue) -> tuple[str, Json]:
    """Sentry's issue `type` and `metadata`; the title says whether it came from an exception."""
    exc_type, sep, value = issue.title.partition(": ")
    if sep and EXCEPTION_TYPE.fullmatch(exc_type):
        return "error", {"type": exc_type, "value": value, "title": issue.title}
    return "default", {"title": issue.title}


def release_json(version: str) -> Json | None:
    return {"version": version, "shortVersion": version[:12]} if version else None


def assignee_json(user: Any) -> Json:
    """Sentry's `assignedTo` object (a user; Bugtrack has no teams)."""
    name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return {
        "type": "user",
        "id": str(user.pk),
        "name": name or user.get_username(),
        "username": user.get_username(),
        "email": user.email,
    }


def comment_json(comment: Any) -> Json:
    """A comment as Sentry's activity item of type `note`."""
    author = comment.author
    return {
        "id": str(comment.pk),
        "type": "note",
        "data": {"text": comment.text},
        "dateCreated": iso(comment.created_at),
        "dateUpdated": iso(comment.edited_at) if comment.edited_at else None,
        "user": assignee_json(author) if author else None,
    }


def issue_json(issue: Issue, user_count: int = 0, stats: Json | None = None) -> Json:
    status, details = status_json(issue)
    kind, metadata = issue_metadata(issue)
    data: Json = {
        "id": str(issue.pk),
        "shortId": issue.short_code,
        "title": issue.title,
        "culprit": issue.culprit,
        "permalink": permalink(issue),
        "logger": None,
        "level": issue.level,
        "status": status,
        "statusDetails": details,
        "substatus": "ongoing" if status == "unresolved" else None,
        "isPublic": False,
        "platform": issue.platform or None,
        "project": project_json(issue.project),
        "type": kind,
        "issueType": kind,
        "issueCategory": "error",
        "metadata": metadata,
        "numComments": getattr(issue, "num_comments", 0),
        "assignedTo": assignee_json(issue.assigned_to) if issue.assigned_to_id else None,
        "isBookmarked": bool(getattr(issue, "bookmarked", False)),
        "isSubscribed": False,
        "hasSeen": False,
        "annotations": [],
        "isUnhandled": False,
        "count": str(issue.event_count),
        "userCount": user_count,
        "firstSeen": iso(issue.first_seen),
        "lastSeen": iso(issue.last_seen),
    }
    if stats is not None:
        data["stats"] = stats
    return data


# --- events -----------------------------------------------------------------------------------


def decode_payload(event: Event) -> tuple[Json, list[Json]]:
    """The stored payload, or an empty one plus an error entry if it cannot be read."""
    errors = []
    if event.processing_error:
        errors.append({"type": "processing_error", "message": event.processing_error})
    try:
        data = payload_codec.decode(event.payload)
    except Exception:  # noqa: BLE001 - a damaged payload must not take the API down
        return {}, [*errors, {"type": "unreadable_payload", "message": "payload unreadable"}]
    return (data if isinstance(data, dict) else {}), errors


def main_exception(payload: Json) -> Json | None:
    """The exception Sentry titles an event after: the last one of a chain."""
    values = [v for v in values_of(payload.get("exception")) if isinstance(v, dict)]
    return values[-1] if values else None


def event_title(event: Event, payload: Json, fallback: str) -> tuple[str, Json]:
    """The digest's own title rule (so an event and its issue agree), plus Sentry's metadata."""
    title = fallback
    if payload and not event.processing_error:
        try:
            title = summary.title(payload)
        except Exception:  # noqa: BLE001 - an odd payload falls back to the issue's title
            title = fallback
    exc = main_exception(payload)
    if exc is not None and (as_str(exc.get("type")) or as_str(exc.get("value"))):
        lines = (as_str(exc.get("value")) or "").strip().splitlines()
        value = lines[0] if lines else ""
        return title, {"type": as_str(exc.get("type")) or "", "value": value, "title": title}
    return title, {"title": title}


def event_tags(event: Event, payload: Json) -> list[Json]:
    """Sentry's [{key, value}], sorted by key: the payload's tags, the stored ones, and the
    level/environment/release tags Sentry always adds."""
    tags: dict[str, str] = {}
    raw = payload.get("tags")
    items = raw.items() if isinstance(raw, dict) else as_list(raw)
    for item in items:
        if isinstance(item, (list, tuple)) and len(item) == 2:
            key, value = as_str(item[0]), as_str(item[1])
            if key and value is not None:
                tags.setdefault(key, value)
    for key, value in as_dict(event.tags).items():
        if (text := as_str(value)) is not None:
            tags.setdefault(str(key), text)
    for key, value in (
        ("level", event.level),
        ("environment", event.environment),
        ("release", event.release),
    ):
        if value:
            tags.setdefault(key, value)
    return [{"key": k, "value": v} for k, v in sorted(tags.items())]


def event_json(event: Event, issue: Issue, full: bool = True) -> Json:
    """Sentry's event shape; `full=False` is the short form issue event lists use by default."""
    payload, errors = decode_payload(event)
    title, metadata = event_title(event, payload, fallback=issue.title)
    entry = logentry(payload)
    user = payload.get("user") if isinstance(payload.get("user"), dict) else None
    data: Json = {
        "id": event.event_id,
        "eventID": event.event_id,
        "groupID": str(issue.pk),
        "projectID": str(event.project_id),
        "title": title,
        "message": (entry or {}).get("formatted") or "",
        "platform": event.platform or as_str(payload.get("platform")),
        "type": "error" if main_exception(payload) else "default",
        "metadata": metadata,
        # Events of one issue share their stack, so they share its culprit.
        "culprit": issue.culprit,
        "location": issue.culprit,
        "dateCreated": iso(event.timestamp),
        "dateReceived": iso(event.received_at),
        "tags": event_tags(event, payload),
        "user": user,
        "crashFile": None,
    }
    if not full:
        return data
    return {
        **data,
        "entries": entries(payload),
        "contexts": as_dict(payload.get("contexts")),
        "context": as_dict(payload.get("extra")),
        "packages": as_dict(payload.get("modules")),
        "sdk": payload.get("sdk") if isinstance(payload.get("sdk"), dict) else None,
        "release": release_json(event.release),
        "environment": event.environment or None,
        "dist": as_str(payload.get("dist")),
        "logger": as_str(payload.get("logger")),
        "fingerprints": [issue.grouping_hash],
        "groupingConfig": {"id": issue.grouping_version, "enhancements": None},
        "size": len(event.payload),
        "errors": errors,
        "_meta": {},
        "userReport": None,
        "sdkUpdates": [],
        "occurrence": None,
        "nextEventID": None,
        "previousEventID": None,
    }


def history_json(entry: Any) -> Json:
    """An IssueHistory row as a Sentry activity item."""
    kinds = {
        "first_seen": "first_seen",
        "regressed": "set_regression",
        "resolved": "set_resolved",
        "resolved_next_release": "set_resolved_in_release",
        "unresolved": "set_unresolved",
        "ignored": "set_ignored",
        "unignored": "set_unresolved",
        "assigned": "assigned",
        "unassigned": "unassigned",
        "merged": "merge",
        "unmerged": "unmerge_destination",
    }
    user = entry.user
    return {
        "id": str(entry.pk),
        "type": kinds.get(entry.kind, entry.kind),
        "dateCreated": iso(entry.created_at),
        "user": {"id": str(user.pk), "username": user.get_username()} if user else None,
        "actor": entry.actor,
        "data": {**entry.data, "eventId": entry.event_id} if entry.event_id else entry.data,
    }
