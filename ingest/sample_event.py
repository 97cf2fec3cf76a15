"""The setup page's "send a test event": a realistic sample event put on the intake queue.

It goes through the same `queue.commit` as an accepted SDK event (rate limit included), so the
digest worker, grouping, issues and alerts all handle it for real.
We do not make an HTTP request to ourselves: BASE_URL may not be reachable from the server.
"""

import time
import uuid

import orjson
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from ingest import queue
from projects.models import Project

SOURCE = [
    "def check_pipeline(project):",
    '    """Called from the Bugtrack setup page."""',
    "    events = []",
    "    ratio = len(events) / 0",
    "    return ratio",
]


def build_test_event(project: Project, user: AbstractBaseUser, event_id: str) -> dict:
    frames = [
        {
            "filename": "bugtrack/setup.py",
            "abs_path": "/srv/app/bugtrack/setup.py",
            "module": "bugtrack.setup",
            "function": "send_test_event",
            "lineno": 12,
            "context_line": "    check_pipeline(project)",
            "pre_context": ["def send_test_event(project):"],
            "post_context": [],
            "in_app": True,
            "vars": {"project": repr(project.name)},
        },
        {
            "filename": "bugtrack/pipeline.py",
            "abs_path": "/srv/app/bugtrack/pipeline.py",
            "module": "bugtrack.pipeline",
            "function": "check_pipeline",
            "lineno": 4,
            "context_line": SOURCE[3],
            "pre_context": SOURCE[:3],
            "post_context": SOURCE[4:],
            "in_app": True,
            "vars": {"events": "[]"},
        },
    ]
    return {
        "event_id": event_id,
        "timestamp": time.time(),
        "platform": "python",
        "level": "error",
        "logger": "bugtrack.setup",
        "environment": "setup-test",
        "server_name": "bugtrack",
        "message": "This is a test event sent from the Bugtrack setup page.",
        "exception": {
            "values": [
                {
                    "type": "ZeroDivisionError",
                    "value": "division by zero (Bugtrack test event)",
                    "module": "builtins",
                    "mechanism": {"type": "generic", "handled": True},
                    "stacktrace": {"frames": frames},
                }
            ]
        },
        "tags": [["source", "setup-page"], ["project", project.slug]],
        "user": {"username": user.get_username()},
        "sdk": {"name": "bugtrack.setup-page", "version": "1.0"},
        "extra": {"note": "Resolve this issue once you have seen it."},
    }


def enqueue_test_event(project: Project, user: AbstractBaseUser) -> str:
    """Queue a test event for the digest worker; returns its event id.

    Raises `ingest.errors.RateLimited` when the project is over its limit, as an SDK would be.
    """
    event_id = uuid.uuid4().hex
    event = queue.QueuedEvent(event_id, orjson.dumps(build_test_event(project, user, event_id)))
    queue.commit(
        project.pk, event, {}, project.effective_rate_limit(), timezone.now(), "setup-page"
    )
    return event_id
