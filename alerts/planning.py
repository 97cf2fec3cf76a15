"""Admitting pending alerts: the project's rules pick the targets (email, channels), flood
control caps each target, then one delivery row per recipient address and per channel.

Flood control is per target: at most ALERTS_MAX_PER_PROJECT_PER_HOUR alerts per rolling hour
go to email, and as many to each channel; past that, the target's share of an alert is held
and reported by that target's one summary when its window ends (email: `Alert.summary`, as
before channels; a channel: a held `AlertDelivery` pointing at the channel's summary).

Planning for one project runs in one transaction under a per-project lock, so the hourly quota
is counted consistently even with several senders.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Q, When

from alerts.emails import alert_event
from alerts.models import Alert, AlertDelivery, AlertKind, AlertStatus, Channel, DeliveryStatus
from alerts.rules import enabled_rules, targets_for
from events.models import Event
from issues.models import IssueUserFlags
from projects.models import Membership

WINDOW = timedelta(hours=1)
MAX_ALERTS_PER_PLAN = 500
MAX_PROJECTS_PER_STEP = 100
# Namespace for PostgreSQL advisory locks taken by the planner (arbitrary, fixed).
LOCK_NAMESPACE = 0x0A1E


@dataclass
class PlanResult:
    admitted: int = 0
    held: int = 0


def due_pending(now: datetime) -> Q:
    return Q(status=AlertStatus.PENDING) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def recipients_for(project_id: int) -> list[tuple[int, str]]:
    """(user id, email) of active members with alerts on, one per address."""
    rows = (
        Membership.objects.filter(project_id=project_id, send_alerts=True, user__is_active=True)
        .exclude(user__email="")
        .order_by("user_id")
        .values_list("user_id", "user__email")
    )
    seen: set[str] = set()
    result = []
    for user_id, email in rows:
        if email.lower() not in seen:
            seen.add(email.lower())
            result.append((user_id, email))
    return result


def _muted(issue_ids: set[int]) -> set[tuple[int, int]]:
    """(issue id, user id) of members who muted notifications for those issues (one query)."""
    if not issue_ids:
        return set()
    rows = IssueUserFlags.objects.filter(issue_id__in=issue_ids, muted=True)
    return set(rows.values_list("issue_id", "user_id"))


def lock_project(project_id: int) -> bool:
    """Serialize planners per project. SQLite's IMMEDIATE transactions already serialize."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, project_id % 2**31]
        )
        return bool(cursor.fetchone()[0])


NO_RECIPIENTS = "No recipients: nobody in the project has alerts on."
NO_TARGETS = "No rule sends this alert anywhere."


def _email_rows(alert: Alert, recipients: list[tuple[int, str]], now: datetime) -> list:
    return [
        AlertDelivery(alert=alert, user_id=user_id, email=email, next_attempt_at=now)
        for user_id, email in recipients
    ]


DECIDED_FIELDS = ["status", "decided_at", "sent_at", "last_error", "summary_id"]


class Decisions:
    """Alerts decided in one plan and their delivery rows, written together by `flush()`:
    two statements per plan instead of two per alert (a flood of new issues is hundreds)."""

    def __init__(self) -> None:
        self.alerts: list[Alert] = []
        self.rows: list[AlertDelivery] = []

    def decide(self, alert: Alert, rows: list[AlertDelivery], now: datetime, why_none: str):
        alert.decided_at = now
        if any(r.status == DeliveryStatus.PENDING for r in rows):
            alert.status = AlertStatus.SENDING
        elif any(r.status == DeliveryStatus.HELD for r in rows) or alert.summary_id:
            alert.status = AlertStatus.HELD
        else:
            alert.status = AlertStatus.SENT
            alert.sent_at = now
            alert.last_error = why_none
        self.alerts.append(alert)
        self.rows += rows

    def flush(self) -> None:
        AlertDelivery.objects.bulk_create(self.rows, ignore_conflicts=True, batch_size=500)
        # One UPDATE per distinct outcome (a plan has two or three), not bulk_update's CASE
        # per row, which costs more CPU to build than the rows it writes.
        outcomes: dict[tuple, list[int]] = defaultdict(list)
        for alert in self.alerts:
            outcomes[tuple(getattr(alert, f) for f in DECIDED_FIELDS)].append(alert.pk)
        for values, ids in outcomes.items():
            fields = dict(zip(DECIDED_FIELDS, values, strict=True))
            Alert.objects.filter(pk__in=ids).update(**fields)
        self.alerts, self.rows = [], []


def _admit_summary(alert: Alert, recipients: list[tuple[int, str]], now: datetime) -> None:
    """Written at once: the next window's summary must not find this one still pending."""
    decisions = Decisions()
    if alert.channel_id is None:
        decisions.decide(alert, _email_rows(alert, recipients, now), now, NO_RECIPIENTS)
    else:
        row = AlertDelivery(alert=alert, channel_id=alert.channel_id, next_attempt_at=now)
        decisions.decide(alert, [row], now, "")
    decisions.flush()


def open_summary(project_id: int, channel: Channel | None, now: datetime) -> Alert:
    """The summary collecting this window's held alerts of one target (None: email); it
    goes out when the window ends."""
    summary = Alert.objects.filter(
        project_id=project_id, kind=AlertKind.SUMMARY, status=AlertStatus.PENDING, channel=channel
    ).first()
    if summary is None:
        summary = Alert.objects.create(
            project_id=project_id,
            kind=AlertKind.SUMMARY,
            channel=channel,
            created_at=now,
            next_attempt_at=now + WINDOW,
        )
    return summary


class Quotas:
    """What is left of each target's hourly cap in one project (email is the target None),
    and each target's open summary once one was needed (asked once per plan, not per alert)."""

    def __init__(self, project_id: int, now: datetime) -> None:
        self.project_id, self.now = project_id, now
        self.left: dict[int | None, int] = {}
        self.summaries: dict[int | None, Alert] = {}

    def summary(self, channel: Channel | None) -> Alert:
        key = channel.pk if channel else None
        if key not in self.summaries:
            self.summaries[key] = open_summary(self.project_id, channel, self.now)
        return self.summaries[key]

    def _used(self, channel_id: int | None) -> int:
        recent = AlertDelivery.objects.filter(
            alert__project_id=self.project_id, alert__decided_at__gt=self.now - WINDOW
        ).exclude(alert__kind__in=[AlertKind.SUMMARY, AlertKind.TEST])
        if channel_id is None:
            return recent.filter(channel__isnull=True).values("alert_id").distinct().count()
        return recent.filter(channel_id=channel_id).exclude(status=DeliveryStatus.HELD).count()

    def take(self, channel_id: int | None) -> bool:
        if channel_id not in self.left:
            self.left[channel_id] = settings.ALERTS_MAX_PER_PROJECT_PER_HOUR - self._used(
                channel_id
            )
        if self.left[channel_id] <= 0:
            return False
        self.left[channel_id] -= 1
        return True


def _filter_event(alert: Alert) -> Event | None:
    """What rule filters read of the triggering event: level, environment, tags."""
    return alert_event(alert, ("level", "environment", "tags")) if alert.issue_id else None


def _plan_alert(
    alert: Alert,
    targets_rules: list,
    recipients: list[tuple[int, str]],
    quotas: Quotas,
    decisions: Decisions,
    now: datetime,
    result: PlanResult,
) -> None:
    targets = targets_for(alert, targets_rules, lambda: _filter_event(alert))
    rows: list[AlertDelivery] = []
    if targets.email:
        if quotas.take(None):
            rows += _email_rows(alert, recipients, now)
        else:
            alert.summary = quotas.summary(None)
    for channel in targets.channels.values():
        if quotas.take(channel.pk):
            rows.append(AlertDelivery(alert=alert, channel=channel, next_attempt_at=now))
        else:
            summary = quotas.summary(channel)
            rows.append(
                AlertDelivery(
                    alert=alert,
                    channel=channel,
                    status=DeliveryStatus.HELD,
                    summary=summary,
                    next_attempt_at=now,
                )
            )
    decisions.decide(alert, rows, now, NO_RECIPIENTS if targets.email else NO_TARGETS)
    if alert.status == AlertStatus.HELD:
        result.held += 1
    else:
        result.admitted += 1


@transaction.atomic
def plan_project(project_id: int, now: datetime) -> PlanResult:
    result = PlanResult()
    if not lock_project(project_id):
        return result  # another sender is planning this project right now
    due = list(
        Alert.objects.filter(due_pending(now), project_id=project_id)
        .select_related("issue", "project")
        # Summaries first, so that alerts held now open the next window.
        .order_by(Case(When(kind=AlertKind.SUMMARY, then=0), default=1), "created_at", "id")[
            :MAX_ALERTS_PER_PLAN
        ]
    )
    if not due:
        return result
    recipients = recipients_for(project_id)
    rules = enabled_rules(project_id)
    quotas = Quotas(project_id, now)
    muted = _muted({a.issue_id for a in due if a.issue_id})
    decisions = Decisions()
    for alert in due:
        if alert.kind == AlertKind.SUMMARY:
            _admit_summary(alert, recipients, now)
        else:
            # Members who muted the alert's issue get no email about it.
            mine = [r for r in recipients if (alert.issue_id, r[0]) not in muted]
            _plan_alert(alert, rules, mine, quotas, decisions, now, result)
    decisions.flush()
    return result


def plan_due_alerts(now: datetime) -> PlanResult:
    total = PlanResult()
    project_ids = list(
        Alert.objects.filter(due_pending(now))
        .order_by()
        .values_list("project_id", flat=True)
        .distinct()[:MAX_PROJECTS_PER_STEP]
    )
    for project_id in project_ids:
        result = plan_project(project_id, now)
        total.admitted += result.admitted
        total.held += result.held
    return total
