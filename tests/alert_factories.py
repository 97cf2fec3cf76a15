"""Plain factories for alert tests: issues, events and outbox rows as the digest writes them."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from alerts.models import Alert, AlertKind
from issues.models import Issue
from projects.models import Project
from tests.issue_factories import make_event, make_issue


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
    issue = make_issue(
        project, title=title, culprit="shop.cart in pay", first_seen=now, last_seen=now,
        last_release="shop@1.0",
    )  # fmt: skip
    event_id = f"{issue.short_id:032x}"
    make_event(issue, python_payload(event_id, title), event_id=event_id, received_at=now)
    alert = Alert.objects.create(
        project=project, issue=issue, kind=kind, event_id=event_id, created_at=now
    )
    return issue, alert


def hours_later(hours: float, start: datetime | None = None) -> datetime:
    return (start or timezone.now()) + timedelta(hours=hours)
