"""Admitting pending alerts: flood control, then one delivery row per recipient.

Planning for one project runs in one transaction under a per-project lock, so the hourly quota
is counted consistently even with several senders.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Q, When

from alerts.models import Alert, AlertDelivery, AlertKind, AlertStatus
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


def _lock_project(project_id: int) -> bool:
    """Serialize planners per project. SQLite's IMMEDIATE transactions already serialize."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, project_id % 2**31]
        )
        return bool(cursor.fetchone()[0])


def _admit(alert: Alert, recipients: list[tuple[int, str]], now: datetime) -> None:
    AlertDelivery.objects.bulk_create(
        [
            AlertDelivery(alert=alert, user_id=user_id, email=email, next_attempt_at=now)
            for user_id, email in recipients
        ],
        ignore_conflicts=True,
    )
    alert.decided_at = now
    if recipients:
        alert.status = AlertStatus.SENDING
    else:
        alert.status = AlertStatus.SENT
        alert.sent_at = now
        alert.last_error = "No recipients: nobody in the project has alerts on."
    alert.save(update_fields=["status", "decided_at", "sent_at", "last_error"])


def _open_summary(project_id: int, now: datetime) -> Alert:
    """The summary collecting this window's held alerts; it goes out when the window ends."""
    summary = Alert.objects.filter(
        project_id=project_id, kind=AlertKind.SUMMARY, status=AlertStatus.PENDING
    ).first()
    if summary is None:
        summary = Alert.objects.create(
            project_id=project_id,
            kind=AlertKind.SUMMARY,
            created_at=now,
            next_attempt_at=now + WINDOW,
        )
    return summary


@transaction.atomic
def plan_project(project_id: int, now: datetime) -> PlanResult:
    result = PlanResult()
    if not _lock_project(project_id):
        return result  # another sender is planning this project right now
    due = list(
        Alert.objects.filter(due_pending(now), project_id=project_id)
        # Summaries first, so that alerts held now open the next window.
        .order_by(Case(When(kind=AlertKind.SUMMARY, then=0), default=1), "created_at", "id")[
            :MAX_ALERTS_PER_PLAN
        ]
    )
    if not due:
        return result
    recipients = recipients_for(project_id)
    used = (
        Alert.objects.filter(project_id=project_id, decided_at__gt=now - WINDOW)
        .exclude(kind=AlertKind.SUMMARY)
        .exclude(status=AlertStatus.HELD)
        .count()
    )
    quota = settings.ALERTS_MAX_PER_PROJECT_PER_HOUR - used
    held: list[int] = []
    for alert in due:
        if alert.kind == AlertKind.SUMMARY:
            _admit(alert, recipients, now)
        elif quota > 0:
            _admit(alert, recipients, now)
            quota -= 1
            result.admitted += 1
        else:
            held.append(alert.pk)
    if held:
        # One statement however big the flood: the planner's lock is held only briefly.
        Alert.objects.filter(pk__in=held).update(
            status=AlertStatus.HELD, decided_at=now, summary=_open_summary(project_id, now)
        )
        result.held = len(held)
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
