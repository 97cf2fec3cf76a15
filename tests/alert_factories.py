"""Plain factories for alert tests: issues, events and outbox rows as the digest writes them."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from alerts.models import Alert, AlertKind
from events.models import Event
from events.payload import encode
from issues.models import Issue
from projects.models import Project


def python_payload(event_id: str, title: str = "ValueError: boom") -> dict:
    return {
        "event_id": event_id,
        "level": "error",
        "platform": "python",
        "environment": "production",
        "release": "shop@1.0",
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": title,
                    "stacktrace": {
                        "frames": [
                            {
                                "filename": "lib/runner.py",
                                "function": "run",
                                "lineno": 3,
                                "in_app": False,
                            },
                            {
                                "filename": "shop/views.py",
                                "function": "checkout",
                                "lineno": 42,
                                "in_app": True,
                                "context_line": "cart.pay()",
                            },
                            {
                                "filename": "shop/cart.py",
                                "function": "pay",
                                "lineno": 17,
                                "in_app": True,
                                "context_line": "raise ValueError(title)",
                            },
                        ]  # fmt: skip
                    },
                }
            ]
        },
    }


@transaction.atomic
def new_issue_with_alert(
    project: Project,
    title: str = "ValueError: boom",
    kind: str = AlertKind.NEW_ISSUE,
    created_at: datetime | None = None,
) -> tuple[Issue, Alert]:
    """What the digest does for a new issue: issue, first event and a pending alert together."""
    now = created_at or timezone.now()
    Project.objects.filter(pk=project.pk).update(next_short_id=F("next_short_id") + 1)
    short_id = Project.objects.get(pk=project.pk).next_short_id - 1
    issue = Issue.objects.create(
        project=project,
        short_id=short_id,
        grouping_hash=f"hash-{short_id}",
        grouping_version="test",
        title=title,
        culprit="shop.cart in pay",
        first_seen=now,
        last_seen=now,
        event_count=1,
        last_release="shop@1.0",
    )
    event_id = f"{short_id:032x}"
    Event.objects.create(
        project=project,
        issue=issue,
        event_id=event_id,
        timestamp=now,
        received_at=now,
        release="shop@1.0",
        environment="production",
        payload=encode(python_payload(event_id, title)),
    )
    alert = Alert.objects.create(
        project=project, issue=issue, kind=kind, event_id=event_id, created_at=now
    )
    return issue, alert


def hours_later(hours: float, start: datetime | None = None) -> datetime:
    return (start or timezone.now()) + timedelta(hours=hours)
