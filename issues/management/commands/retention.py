"""Enforce per-project retention (max events, max age) once; the worker also does it.

Here in issues, not events: deleting events also subtracts them from the issues' tag counts
and buckets (`issues.aggregates`), and issues sits above events in the layer order."""

from django.core.management.base import BaseCommand

from events.retention import enforce_retention
from issues.aggregates import forget_events


class Command(BaseCommand):
    help = "Delete events beyond each project's retention limits (count and age)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--max-chunks", type=int, default=1_000_000)

    def handle(self, *args, max_chunks: int, **options) -> None:
        deleted = enforce_retention(max_chunks=max_chunks, on_delete=forget_events)
        self.stdout.write(f"Deleted {deleted} events.")
