"""An alert as a channel `Notice`: the issue, its project, level and first frames, and links
(from BASE_URL). Read once per alert, whatever the number of channels."""

from django.conf import settings
from django.urls import reverse

from alerts.channels.notice import Notice
from alerts.emails import _payload, alert_event, issue_list_url, issue_url
from alerts.frames import top_frames
from alerts.models import Alert, AlertKind, Frequency
from issues.models import Issue, IssueTagValue

ACTIONS = {
    AlertKind.NEW_ISSUE: ("created", "New issue"),
    AlertKind.REGRESSION: ("regression", "Regression"),
    AlertKind.UNIGNORED: ("unignored", "Unignored"),
    AlertKind.FREQUENCY: ("frequency", "Frequency alert"),
    AlertKind.SUMMARY: ("summary", "Alerts held back"),
    AlertKind.TEST: ("test", "Test message"),
}
SUMMARY_ISSUES_SHOWN = 10


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _issue_object(issue: Issue, url: str) -> dict:
    return {
        "id": str(issue.pk),
        "shortId": issue.short_code,
        "title": issue.title,
        "culprit": issue.culprit,
        "level": issue.level,
        "url": url,
        "project": issue.project.slug,
        "count": issue.event_count,
        "userCount": IssueTagValue.objects.filter(issue=issue, key="user").count(),
        "firstSeen": _iso(issue.first_seen),
        "lastSeen": _iso(issue.last_seen),
    }


def _rule_detail(alert: Alert) -> tuple[str, dict | None]:
    rule = alert.rule
    if alert.kind != AlertKind.FREQUENCY or rule is None:
        return "", None
    what = "users" if rule.frequency == Frequency.USERS else "events"
    detail = f"More than {rule.threshold} {what} in {rule.window_minutes} minutes ({rule.name})"
    return detail, {
        "name": rule.name,
        "frequency": rule.frequency,
        "threshold": rule.threshold,
        "windowMinutes": rule.window_minutes,
    }


def issue_notice(alert: Alert) -> Notice:
    issue = alert.issue
    assert issue is not None
    action, headline = ACTIONS[AlertKind(alert.kind)]
    event = alert_event(alert)
    frames = top_frames(_payload(event))
    url = issue_url(issue)
    release = (event.release if event else issue.last_release) or ""
    environment = (event.environment if event else "") or ""
    detail, rule = _rule_detail(alert)
    return Notice(
        action=action,
        headline=headline,
        project=alert.project.name,
        project_slug=alert.project.slug,
        title=issue.title,
        url=url,
        level=(event.level if event else issue.level) or "error",
        culprit=issue.culprit,
        short_id=issue.short_code,
        issue=_issue_object(issue, url),
        event={
            "id": event.event_id if event else alert.event_id or None,
            "frames": frames,
            "release": release,
            "environment": environment,
        },
        frames=frames,
        release=release,
        environment=environment,
        detail=detail,
        rule=rule,
    )


def summary_notice(alert: Alert) -> Notice:
    if alert.channel_id is None:
        held = [a.issue for a in alert.held_alerts.select_related("issue", "issue__project")]
    else:
        rows = alert.held_deliveries.select_related("alert__issue", "alert__issue__project")
        held = [d.alert.issue for d in rows.order_by("id")]
    issues = [i for i in held if i is not None]
    return Notice(
        action="summary",
        headline="Alerts held back",
        project=alert.project.name,
        project_slug=alert.project.slug,
        title=f"{len(held)} more alerts in the last hour",
        url=issue_list_url(alert.project),
        detail=f"Flood control held back {len(held)} alerts in the hour since "
        f"{alert.created_at:%Y-%m-%d %H:%M} UTC.",
        held=len(held),
        held_issues=[{"title": i.title, "url": issue_url(i)} for i in issues][
            :SUMMARY_ISSUES_SHOWN
        ],
    )


def test_notice(alert: Alert) -> Notice:
    project = alert.project
    return Notice(
        action="test",
        headline="Test message",
        project=project.name,
        project_slug=project.slug,
        title=f"Bugtrack can reach this channel of {project.name}",
        url=settings.BASE_URL + reverse("alerts:project_alerts", args=[project.slug]),
        level="info",
        detail="Sent from the project's Alerts tab. Real alerts will look like this.",
    )


def notice_for(alert: Alert) -> Notice:
    if alert.kind == AlertKind.SUMMARY:
        return summary_notice(alert)
    if alert.kind == AlertKind.TEST:
        return test_notice(alert)
    return issue_notice(alert)
