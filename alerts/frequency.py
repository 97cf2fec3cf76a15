"""Frequency rules: "more than N events in M minutes" and "more than N users in M minutes".

Counted from what the digest already keeps, never from events: events from the per-minute
counter `issues.IssueMinute`, users from the `user` rows of `IssueTagValue` whose last event
is inside the window. A rule fires at most once per window per issue: not again until M
minutes after its last alert for that issue. The alert row is written under the planner's
per-project lock, so two senders cannot both fire it.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Sum

from alerts.models import Alert, AlertKind, AlertRule, AlertStatus, Frequency
from alerts.planning import lock_project
from alerts.rules import issue_passes
from issues.models import Issue, IssueMinute, IssueStatus, IssueTagValue

MAX_WINDOW = timedelta(days=1)  # counters are kept that long
MAX_RULES_PER_STEP = 200


def window_start(rule: AlertRule, now: datetime) -> datetime:
    minutes = min(max(rule.window_minutes, 1), int(MAX_WINDOW.total_seconds() // 60))
    return now - timedelta(minutes=minutes)


def counts_over(rule: AlertRule, now: datetime) -> dict[int, int]:
    """Issue id -> count in the window, for the rule's project's issues above the threshold."""
    start = window_start(rule, now)
    if rule.frequency == Frequency.EVENTS:
        # Minutes are floored: the minute the window starts in counts whole.
        events = (
            IssueMinute.objects.filter(
                issue__project_id=rule.project_id,
                minute__gt=start - timedelta(minutes=1),
                minute__lte=now,
            )
            .values("issue_id")
            .annotate(n=Sum("count"))
            .filter(n__gt=rule.threshold)
            .values_list("issue_id", "n")
        )
        return dict(events)
    users = (
        IssueTagValue.objects.filter(
            issue__project_id=rule.project_id,
            issue__last_seen__gte=start,
            key="user",
            last_seen__gte=start,
        )
        .values("issue_id")
        .annotate(n=Count("id"))
        .filter(n__gt=rule.threshold)
        .values_list("issue_id", "n")
    )
    return dict(users)


@transaction.atomic
def fire_rule(rule: AlertRule, now: datetime) -> int:
    if not lock_project(rule.project_id):
        return 0  # another sender is planning this project; it will look next step
    over = counts_over(rule, now)
    if not over:
        return 0
    recent = set(
        Alert.objects.filter(
            rule=rule, issue_id__in=over, created_at__gt=window_start(rule, now)
        ).values_list("issue_id", flat=True)
    )
    issues = Issue.objects.filter(pk__in=set(over) - recent).exclude(status=IssueStatus.IGNORED)
    alerts = [
        Alert(
            project_id=rule.project_id,
            issue=issue,
            kind=AlertKind.FREQUENCY,
            rule=rule,
            created_at=now,
            status=AlertStatus.PENDING,
        )
        for issue in issues.order_by("pk")
        if issue_passes(rule, issue)
    ]
    Alert.objects.bulk_create(alerts)
    return len(alerts)


def frequency_rules() -> list[AlertRule]:
    return list(
        AlertRule.objects.filter(enabled=True)
        .exclude(frequency=Frequency.NONE)
        .order_by("project_id", "id")[:MAX_RULES_PER_STEP]
    )


def raise_frequency_alerts(now: datetime) -> int:
    return sum(fire_rule(rule, now) for rule in frequency_rules())


def has_recent_counts(now: datetime) -> bool:
    """Whether a frequency rule could fire now (for the idle sender's cheap check)."""
    return (
        AlertRule.objects.filter(enabled=True).exclude(frequency=Frequency.NONE).exists()
        and IssueMinute.objects.filter(minute__gt=now - MAX_WINDOW).exists()
    )


def prune_minutes(now: datetime) -> int:
    ids = list(
        IssueMinute.objects.filter(minute__lt=now - MAX_WINDOW).values_list("id", flat=True)[
            :10_000
        ]
    )
    return IssueMinute.objects.filter(id__in=ids).delete()[0] if ids else 0
