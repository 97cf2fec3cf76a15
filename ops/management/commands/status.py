"""`manage.py status`: is the pipeline keeping up? Queue, digest lag, throughput, outbox."""

import json

from django.core.management.base import BaseCommand

from alerts.stats import outbox_counts
from ingest.stats import queue_state
from ops.stats import events_last_minute


class Command(BaseCommand):
    help = "Show intake queue depth, digest lag, events per minute and the alert outbox."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="one JSON object, for scripts")

    def handle(self, *args, json: bool = False, **options) -> None:
        state = queue_state()
        per_minute, capped = events_last_minute()
        outbox = outbox_counts()
        report = {
            "queue_depth": state.depth,
            "digest_lag_seconds": round(state.oldest_age, 1),
            "events_last_minute": per_minute,
            "events_last_minute_capped": capped,
            "outbox": outbox,
        }
        if json:
            self.stdout.write(_dumps(report))
            return
        rate = f"{per_minute}+" if capped else str(per_minute)
        self.stdout.write(f"intake queue:       {state.depth} events waiting")
        self.stdout.write(f"digest lag:         {state.oldest_age:.1f}s (oldest waiting event)")
        self.stdout.write(f"events last minute: {rate}")
        self.stdout.write(
            "alert outbox:       " + ", ".join(f"{n} {status}" for status, n in outbox.items())
        )


def _dumps(report: dict) -> str:
    return json.dumps(report, sort_keys=True)
