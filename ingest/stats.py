"""What the intake queue looks like right now, for health, metrics and `status` (ops composes)."""

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone

from ingest.models import ClientReport, IntakeEvent


@dataclass(frozen=True)
class QueueState:
    depth: int
    oldest_age: float  # seconds since the oldest undigested event arrived; 0 when empty


def queue_state(using: str = "default") -> QueueState:
    # Depth is bounded by INGEST_MAX_QUEUE_DEPTH (backpressure), so counting stays cheap.
    row = IntakeEvent.objects.using(using).aggregate(depth=Count("id"), oldest=Min("received_at"))
    oldest = row["oldest"]
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    return QueueState(depth=row["depth"], oldest_age=max(age, 0.0))


def queued_since(cutoff: datetime, using: str = "default") -> int:
    """Events received at or after `cutoff` that still wait in the queue."""
    return IntakeEvent.objects.using(using).filter(received_at__gte=cutoff).count()


def queue_health(using: str = "default") -> dict[str, object]:
    """Readiness: the queue is neither too deep nor too old (`HEALTH_MAX_QUEUE_*`)."""
    state = queue_state(using)
    check: dict[str, object] = {
        "ok": True,
        "depth": state.depth,
        "oldest_age_seconds": round(state.oldest_age, 1),
    }
    if state.depth > settings.HEALTH_MAX_QUEUE_DEPTH:
        check.update(ok=False, error=f"depth over {settings.HEALTH_MAX_QUEUE_DEPTH}")
    elif state.oldest_age > settings.HEALTH_MAX_QUEUE_AGE_SECONDS:
        check.update(ok=False, error=f"oldest over {settings.HEALTH_MAX_QUEUE_AGE_SECONDS}s")
    return check


def delete_client_reports(before: date) -> int:
    """Drop client-report counts of days before `before`; returns the rows deleted."""
    deleted, _ = ClientReport.objects.filter(day__lt=before).delete()
    return deleted
