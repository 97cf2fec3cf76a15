"""Plain factories for the API tests: issues and events as the digest would store them."""

import copy
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F
from django.utils import timezone

from api.models import ApiToken
from events.models import Event
from events.payload import encode
from issues.models import Issue, IssueStatus
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


def token_for(user) -> str:
    return ApiToken.issue(user, label="tests")[1]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_issue(
    project: Project,
    title: str = "HTTPError: 429 Client Error",
    status: str = IssueStatus.UNRESOLVED,
    last_seen: datetime | None = None,
    **fields: Any,
) -> Issue:
    Project.objects.filter(pk=project.pk).update(next_short_id=F("next_short_id") + 1)
    project.refresh_from_db(fields=["next_short_id"])
    now = timezone.now()
    last_seen = last_seen or now
    values: dict[str, Any] = {
        "culprit": "sentry.integrations.slack.notify_action in send_notification",
        "level": "error",
        "platform": "python",
        "first_seen": last_seen - timedelta(hours=1),
        "event_count": 1,
        "grouping_version": "test-1",
        "grouping_hash": uuid.uuid4().hex,
    }
    values.update(fields)
    return Issue.objects.create(
        project=project,
        short_id=project.next_short_id - 1,
        title=title,
        status=status,
        last_seen=last_seen,
        **values,
    )


def make_event(
    issue: Issue,
    payload: dict[str, Any] | None = None,
    received_at: datetime | None = None,
    **fields: Any,
) -> Event:
    data = copy.deepcopy(PYTHON_EVENT if payload is None else payload)
    data["event_id"] = fields.pop("event_id", None) or uuid.uuid4().hex
    received_at = received_at or timezone.now()
    values: dict[str, Any] = {
        "timestamp": received_at - timedelta(seconds=1),
        "level": data.get("level") or "error",
        "release": data.get("release") or "",
        "environment": data.get("environment") or "",
        "platform": data.get("platform") or "",
        "tags": {"browser": "Firefox 120"},
    }
    values.update(fields)
    return Event.objects.create(
        project=issue.project,
        issue=issue,
        event_id=data["event_id"],
        received_at=received_at,
        payload=encode(data),
        **values,
    )
