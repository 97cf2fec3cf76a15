"""Plain factory functions for digest tests: intake rows from real or built payloads
(real ones come from tests/payloads.py)."""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from ingest.models import IntakeEvent
from projects.models import Project

SITE_PACKAGES = "/venv/lib/python3.11/site-packages/"


def intake(
    project: Project | int,
    event: dict[str, Any] | bytes = b"{}",
    event_id: str = "",
    received_at: datetime | None = None,
) -> IntakeEvent:
    """Queue one event as ingest would: a fresh event id unless given, payload as bytes.

    `project` may be the id of no project (the queue has no foreign key); `received_at`
    backdates the row for queue-age checks.
    """
    event_id = event_id or uuid.uuid4().hex
    body = (
        event if isinstance(event, bytes) else json.dumps({**event, "event_id": event_id}).encode()
    )
    return IntakeEvent.objects.create(
        project_id=project if isinstance(project, int) else project.pk,
        event_id=event_id,
        received_at=received_at or datetime.now(UTC),
        payload=body,
    )


def python_error(
    type_: str = "ValueError",
    value: str = "bad value 42",
    function: str = "handler",
    context_line: str = "raise ValueError(f'bad value {x}')",
    lineno: int = 10,
    **extra: Any,
) -> dict[str, Any]:
    """A sentry-sdk-like Python exception event with one library and one in-app frame."""
    return {
        "platform": "python",
        "level": "error",
        "timestamp": datetime.now(UTC).timestamp(),
        "exception": {
            "values": [
                {
                    "type": type_,
                    "value": value,
                    "module": None,
                    "mechanism": {"type": "generic", "handled": True},
                    "stacktrace": {
                        "frames": [
                            {
                                "filename": "django/core/handlers/base.py",
                                "abs_path": SITE_PACKAGES + "django/core/handlers/base.py",
                                "module": "django.core.handlers.base",
                                "function": "_get_response",
                                "lineno": 197,
                                "context_line": "response = wrapped_callback(request)",
                                "in_app": False,
                            },
                            {
                                "filename": "app/views.py",
                                "abs_path": "/srv/app/views.py",
                                "module": "app.views",
                                "function": function,
                                "lineno": lineno,
                                "context_line": "    " + context_line,
                                "in_app": True,
                            },
                        ]
                    },
                }
            ]
        },
        **extra,
    }
