"""The alert outbox right now, for metrics and `status` (ops composes)."""

from django.db.models import Count

from alerts.models import Alert, AlertStatus

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
