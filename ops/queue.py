"""What the intake queue and alert outbox look like right now: read by health, metrics, status."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import connections
from django.db.models import Count, Min
from django.utils import timezone

from alerts.models import Alert, AlertStatus
from ingest.models import IntakeEvent
from issues.models import Event


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


UNSENT = (AlertStatus.PENDING, AlertStatus.SENDING, AlertStatus.HELD, AlertStatus.FAILED)


def outbox_counts(using: str = "default") -> dict[str, int]:
    """Alerts not yet delivered, by status (sent ones pile up, so they are never counted)."""
    counts = dict.fromkeys((str(s) for s in UNSENT), 0)
    rows = (
        Alert.objects.using(using)
        .filter(status__in=UNSENT)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for status, n in rows:
        counts[status] = n
    return counts


# Scanning at most this many newest events keeps `status` fast on a large table.
RECENT_SCAN = 20_000


def events_last_minute(using: str = "default") -> tuple[int, bool]:
    """Events received in the last minute (digested or queued); True if the count is capped."""
    cutoff = timezone.now() - timedelta(minutes=1)
    recent = Event.objects.using(using).order_by("-id").values_list("received_at", flat=True)
    stamps = list(recent[:RECENT_SCAN])
    digested = sum(1 for t in stamps if t >= cutoff)
    queued = IntakeEvent.objects.using(using).filter(received_at__gte=cutoff).count()
    return digested + queued, len(stamps) == RECENT_SCAN and digested == RECENT_SCAN


def database_vendor(using: str = "default") -> str:
    return connections[using].vendor
