"""Plain factory functions for issues and events, written straight to the database.

The one `make_issue` and `make_event` of the suite; the API, UI and alert tests use them.
"""

import copy
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from events.models import Event
from events.payload import encode
from issues.models import GroupingHash, Issue, IssueBucket, IssueHistory, IssueTagValue
from projects.models import Project

# A canonical event shaped from sentry/python-http-error.json in the shared corpus (Sentry's
# test data, Apache 2.0), with the user, request, tags, contexts, breadcrumbs and SDK that the
# Python SDK adds to a Django request.
PYTHON_EVENT: dict[str, Any] = {
    "event_id": "5ec2c82c95d14a638d79a68099c14a32",
    "timestamp": 1726558445.1311643,
    "level": "error",
    "platform": "python",
    "logger": "sentry.safe.function",
    "release": "d0d3f1ea630178c8f2836c2d2382dd534e9b47ac",
    "environment": "prod",
    "culprit": "sentry.tasks.post_process.post_process_group",
    "logentry": {
        "message": "%s.process_error",
        "params": ["send_notification"],
        "formatted": "send_notification.process_error",
    },
    "exception": {
        "values": [
            {
                "type": "HTTPError",
                "value": "429 Client Error: Too Many Requests for url: "
                "https://slack.com/api/chat.postMessage",
                "module": "requests.exceptions",
                "mechanism": {"type": "logging", "handled": True},
                "stacktrace": {
                    "frames": [
                        {
                            "function": "safe_execute",
                            "module": "sentry.utils.safe",
                            "filename": "sentry/utils/safe.py",
                            "abs_path": "/usr/src/getsentry/src/sentry/src/sentry/utils/safe.py",
                            "lineno": 29,
                            "pre_context": [
                                "    try:",
                                "        if _with_transaction:",
                                "            with transaction.atomic():",
                            ],
                            "context_line": "                result = func(*args, **kwargs)",
                            "post_context": ["        else:"],
                            "in_app": True,
                            "vars": {"func": "<function send_notification>", "kwargs": {}},
                        },
                        {
                            "function": "send_notification",
                            "module": "sentry.integrations.slack.notify_action",
                            "filename": "sentry/integrations/slack/notify_action.py",
                            "abs_path": "/usr/src/getsentry/src/sentry/src/sentry/"
                            "integrations/slack/notify_action.py",
                            "lineno": 119,
                            "context_line": "            resp.raise_for_status()",
                            "in_app": True,
                        },
                        {
                            "function": "raise_for_status",
                            "module": "requests.models",
                            "filename": "requests/models.py",
                            "abs_path": "/usr/local/lib/python2.7/site-packages/requests/models.py",
                            "lineno": 940,
                            "context_line": "            raise HTTPError(http_error_msg, "
                            "response=self)",
                            "in_app": False,
                        },
                    ]
                },
            }
        ]
    },
    "tags": [["server_name", "web-1"], ["url", "https://example.com/hooks/slack"]],
    "contexts": {
        "runtime": {"name": "CPython", "version": "3.11.9"},
        "os": {"name": "Linux"},
    },
    "user": {"id": "42", "email": "ada@example.com", "ip_address": "192.0.2.10"},
    "request": {
        "url": "https://example.com/hooks/slack",
        "method": "POST",
        "query_string": "retry=1&verbose",
        "headers": {"User-Agent": "curl/8.5.0", "Content-Type": "application/json"},
        "cookies": "sessionid=abc; theme=dark",
        "data": {"text": "hello"},
    },
    "breadcrumbs": {
        "values": [
            {
                "timestamp": 1726558444.5,
                "category": "query",
                "message": "SELECT 1",
                "level": "info",
            },
            {"timestamp": "2024-09-17T07:34:05Z", "type": "http", "data": {"status_code": 429}},
        ]
    },
    "sdk": {"name": "sentry.python.django", "version": "2.19.0"},
    "modules": {"django": "5.2", "requests": "2.32.3"},
    "extra": {"sys.argv": ["manage.py", "runserver"]},
    "fingerprint": ["{{ default }}"],
}


def make_issue(project: Project, **fields: Any) -> Issue:
    """An issue as the digest creates it: the project's next short id, one event, one hour old.

    Any model field can be given.
    """
    short_id = _claim_short_id(project, fields.pop("short_id", None))
    last_seen = fields.setdefault("last_seen", timezone.now())
    defaults: dict[str, Any] = {
        "title": f"ValueError: thing {short_id} went wrong",
        "culprit": f"app.views in handler_{short_id}",
        "level": "error",
        "platform": "python",
        "first_seen": last_seen - timedelta(hours=1),
        "event_count": 1,
        "grouping_hash": uuid.uuid4().hex,
        "grouping_version": "test-1",
    }
    issue = Issue.objects.create(project=project, short_id=short_id, **{**defaults, **fields})
    GroupingHash.objects.create(project=project, hash=issue.grouping_hash, issue=issue)
    return issue


def _claim_short_id(project: Project, wanted: int | None) -> int:
    """The project's next short id, or `wanted`; the counter moves past either, as the
    digest's does, so later issues (made here or digested) never clash with it."""
    projects = Project.objects.filter(pk=project.pk)
    if wanted is not None:
        projects.update(next_short_id=Greatest(F("next_short_id"), wanted + 1))
        return wanted
    projects.update(next_short_id=F("next_short_id") + 1)
    project.refresh_from_db(fields=["next_short_id"])
    return project.next_short_id - 1


def _text(value: Any) -> str:
    """A column as the digest fills it from a raw payload's field: text or nothing."""
    return value if isinstance(value, str) else ""


def make_event(
    issue: Issue,
    payload: dict[str, Any] | None = None,
    received_at: datetime | None = None,
    **fields: Any,
) -> Event:
    """An event of `issue` as the digest stores it; the payload defaults to PYTHON_EVENT.

    The event id is `event_id` if given, else a new one, and is written into the payload,
    as the digest writes the intake row's id (payloads, like corpus samples, share ids).
    """
    data = copy.deepcopy(PYTHON_EVENT if payload is None else payload)
    data["event_id"] = fields.pop("event_id", None) or uuid.uuid4().hex
    received_at = received_at or timezone.now()
    defaults: dict[str, Any] = {
        "timestamp": received_at - timedelta(seconds=1),
        "level": _text(data.get("level")) or "error",
        "release": _text(data.get("release")),
        "environment": _text(data.get("environment")),
        "platform": _text(data.get("platform")),
    }
    return Event.objects.create(
        project_id=issue.project_id,
        issue=issue,
        event_id=data["event_id"],
        received_at=received_at,
        payload=encode(data),
        **{**defaults, **fields},
    )


def make_bucket(issue: Issue, hours_ago: int, count: int) -> IssueBucket:
    hour = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours_ago)
    return IssueBucket.objects.create(issue=issue, hour=hour, count=count)


def make_tag(issue: Issue, key: str, value: str, count: int = 1) -> IssueTagValue:
    now = timezone.now()
    return IssueTagValue.objects.create(
        issue=issue, key=key, value=value, count=count, first_seen=now, last_seen=now
    )


def make_history(issue: Issue, kind: str, actor: str = "digest") -> IssueHistory:
    return IssueHistory.objects.create(
        issue=issue, kind=kind, created_at=timezone.now(), actor=actor
    )


def shape(raw: Any) -> dict:
    """Light shaping of a raw SDK payload towards the canonical form (the digest does more)."""
    data = dict(raw) if isinstance(raw, dict) else {"extra": {"raw": raw}}
    exc = data.get("exception")
    if isinstance(exc, list):
        data["exception"] = {"values": exc}
    if isinstance(data.get("tags"), dict):
        data["tags"] = [[k, v] for k, v in data["tags"].items()]
    event_id = str(data.get("event_id") or "").replace("-", "").lower()
    data["event_id"] = event_id if len(event_id) == 32 else uuid.uuid4().hex
    return data


def epoch(moment: datetime) -> float:
    return moment.astimezone(UTC).timestamp()
