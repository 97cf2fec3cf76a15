"""Alert emails: the context of each (alert, flood-control summary, test); `core.emails` renders."""

import logging
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from alerts.frames import top_frames
from alerts.models import Alert, AlertKind
from core import emails
from events.models import Event
from events.payload import decode
from issues.models import Issue
from projects.models import Project

log = logging.getLogger(__name__)

SUMMARY_ISSUES_SHOWN = 10
KIND_LABELS: dict[str, str] = {
    AlertKind.NEW_ISSUE: "New issue",
    AlertKind.REGRESSION: "Regression",
    AlertKind.UNIGNORED: "Unignored",
}


def absolute_url(name: str, args: list[Any], fallback: str) -> str:
    """BASE_URL + the named route, or the agreed path while that app's URLs are not in yet."""
    try:
        path = reverse(name, args=args)
    except NoReverseMatch:
        path = fallback
    return settings.BASE_URL + path


def settings_url() -> str:
    return absolute_url("accounts:settings", [], "/accounts/settings/")


def issue_url(issue: Issue) -> str:
    slug = issue.project.slug
    return absolute_url("issues:detail", [slug, issue.pk], f"/projects/{slug}/issues/{issue.pk}/")


def issue_list_url(project: Project) -> str:
    return absolute_url("issues:list", [project.slug], f"/projects/{project.slug}/issues/")


def alert_event(alert: Alert, fields: tuple[str, ...] = ()) -> Event | None:
    """The event that triggered the alert, else the issue's first one (retention may drop it).
    `fields` loads only those columns (the planner's rule filters need no payload)."""
    assert alert.issue_id is not None, "summaries have no event"
    events = Event.objects.filter(issue_id=alert.issue_id)
    if fields:
        events = events.only(*fields)
    # With the project, the lookup uses the unique (project, event_id) index instead of
    # walking every event of the issue.
    event = (
        events.filter(project_id=alert.project_id, event_id=alert.event_id).first()
        if alert.event_id
        else None
    )
    return event or events.order_by("received_at", "id").first()


def _payload(event: Event | None) -> dict[str, Any]:
    if event is None:
        return {}
    try:
        data = decode(event.payload)
    except Exception:  # a damaged or raw payload must not stop the alert
        log.warning("alert: cannot decode payload of event %s", event.pk)
        return {}
    return data if isinstance(data, dict) else {}


def alert_context(alert: Alert) -> dict[str, Any]:
    issue = alert.issue
    assert issue is not None, "summaries use summary_context"
    event = alert_event(alert)
    return {
        "project_name": alert.project.name,
        "kind_label": KIND_LABELS.get(alert.kind, "Alert"),
        "title": issue.title,
        "culprit": issue.culprit,
        "frames": top_frames(_payload(event)),
        "environment": (event.environment if event else "") or "-",
        "release": (event.release if event else issue.last_release) or "-",
        "level": (event.level if event else issue.level) or "-",
        "first_seen": issue.first_seen,
        "event_count": issue.event_count,
        "issue_url": issue_url(issue),
        "settings_url": settings_url(),
    }


def summary_context(alert: Alert) -> dict[str, Any]:
    held = alert.held_alerts.select_related("issue", "issue__project").order_by("created_at", "id")
    return {
        "project_name": alert.project.name,
        "held_count": held.count(),
        "window_start": alert.created_at,
        "max_per_hour": settings.ALERTS_MAX_PER_PROJECT_PER_HOUR,
        "issues": [
            {"title": a.issue.title, "url": issue_url(a.issue)}
            for a in held[:SUMMARY_ISSUES_SHOWN]
            if a.issue is not None
        ],
        "issue_list_url": issue_list_url(alert.project),
        "settings_url": settings_url(),
    }


def render_alert(alert: Alert) -> emails.Email:
    """Rendered once per alert; the sender addresses it to each recipient."""
    if alert.kind == AlertKind.SUMMARY:
        return emails.render("alert_summary", summary_context(alert), emails.AUTOMATED)
    return emails.render("alert", alert_context(alert), emails.AUTOMATED)


def render_sample(kind: str = AlertKind.NEW_ISSUE) -> emails.Email:
    """An alert email from `sample_context`, for previews."""
    return emails.render("alert", sample_context(kind), emails.AUTOMATED)


def make_test_email_context(project: Project) -> dict[str, Any]:
    return {"project_name": project.name, "sent_at": timezone.now(), "settings_url": settings_url()}


def make_test_email(project: Project, to: str) -> EmailMultiAlternatives:
    return emails.render("alert_test", make_test_email_context(project), emails.AUTOMATED).message(
        to
    )


def sample_context(kind: str = AlertKind.NEW_ISSUE) -> dict[str, Any]:
    """A realistic context for previews, needing no database."""
    payload = {
        "exception": {
            "values": [
                {
                    "type": "ZeroDivisionError",
                    "stacktrace": {
                        "frames": [
                            {
                                "filename": "django/core/handlers/base.py",
                                "function": "_get_response",
                                "lineno": 197,
                                "in_app": False,
                            },
                            {
                                "filename": "shop/views.py",
                                "function": "checkout",
                                "lineno": 42,
                                "in_app": True,
                                "context_line": "    total = cart.total()",
                            },
                            {
                                "filename": "shop/cart.py",
                                "function": "average",
                                "lineno": 17,
                                "in_app": True,
                                "context_line": "    return total / len(items)",
                            },
                        ]  # fmt: skip
                    },
                }
            ]
        }
    }
    base = settings.BASE_URL
    return {
        "project_name": "Backend",
        "kind_label": KIND_LABELS.get(kind, "Alert"),
        "title": "ZeroDivisionError: division by zero",
        "culprit": "shop.cart in average",
        "frames": top_frames(payload),
        "environment": "production",
        "release": "shop@1.4.2",
        "level": "error",
        "first_seen": datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
        "event_count": 17,
        "issue_url": f"{base}/projects/backend/issues/1/",
        "settings_url": settings_url(),
    }
