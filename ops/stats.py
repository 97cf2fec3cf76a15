"""Is the pipeline keeping up? Composes the apps' own figures for `status`."""

from datetime import timedelta

from django.utils import timezone

from events.stats import stored_since
from ingest.stats import queued_since


def events_last_minute(using: str = "default") -> tuple[int, bool]:
    """Events received in the last minute (stored or queued); True if the count is capped."""
    cutoff = timezone.now() - timedelta(minutes=1)
    stored, capped = stored_since(cutoff, using)
    return stored + queued_since(cutoff, using), capped
