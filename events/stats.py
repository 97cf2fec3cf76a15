"""How many events were stored lately, for `status` (ops composes)."""

from datetime import datetime

from events.models import Event

# Scanning at most this many newest events keeps `status` fast on a large table.
RECENT_SCAN = 20_000


def stored_since(cutoff: datetime, using: str = "default") -> tuple[int, bool]:
    """Stored events received at or after `cutoff`; True if the count hit the scan cap."""
    recent = Event.objects.using(using).order_by("-id").values_list("received_at", flat=True)
    stamps = list(recent[:RECENT_SCAN])
    count = sum(1 for t in stamps if t >= cutoff)
    return count, len(stamps) == RECENT_SCAN and count == RECENT_SCAN
