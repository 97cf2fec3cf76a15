"""The digest worker: loops over `digest_batch()`, enforces retention now and then.

SIGTERM/SIGINT finish the current batch and exit 0; SIGKILL loses nothing because each batch
is one transaction. Unless the last batch was full (a backlog), a claim starts at most every
POLL_INTERVAL: under steady traffic the queue fills for that long, so each batch's fixed cost
(its queries and round trips) is shared by more events, at half a POLL_INTERVAL more delay on
average.
"""

import gc
import logging
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, connection

from core.outage import OutageLog
from digest.batch import digest_batch, intake_waiting
from events import dictionaries
from events.retention import Checked, enforce_retention
from issues import deletion
from issues.aggregates import forget_events

logger = logging.getLogger(__name__)
outage = OutageLog(logger, "digest worker")  # one traceback per outage, then a line per try

POLL_INTERVAL = 0.2  # seconds from one claim to the next, unless the last batch was full
# Retention runs often with a small budget (chunks of 1,000 events per project), so that it
# keeps up with a flood (10,000 events / 5 s per project) without stalling the digest for long.
RETENTION_EVERY = 5.0
RETENTION_CHUNKS = 10
ERROR_SLEEP = 2.0  # back off after a failed batch (database down, ...)
# A batch allocates many short-lived containers (parsed events), which reference counting
# frees; with the default threshold of 700 the cyclic collector's passes over them and over
# everything Django loaded were a sizeable share of the worker's CPU (docs/performance.md,
# "Background processes").
GC_THRESHOLD = 10_000


class Command(BaseCommand):
    help = "Digest intake events into issues, in batches, until SIGTERM."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="Drain the queue, then exit.")
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument(
            "--retention-every", type=float, default=RETENTION_EVERY, help="Seconds (0: never)."
        )

    def handle(
        self, *args, once: bool, batch_size: int | None, retention_every: float, **options
    ) -> None:
        stop = False

        def on_signal(signum: int, frame: object) -> None:
            nonlocal stop
            stop = True

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        gc.freeze()  # what start-up loaded stays: no collection needs to walk it again
        gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
        next_retention = time.monotonic() + retention_every
        full = batch_size or settings.DIGEST_BATCH_SIZE
        claimed = 0
        checked: Checked = {}  # retention's memory of projects found within their limits
        while not stop:
            started = time.monotonic()
            try:
                # An empty queue is polled with one cheap read instead of a claim transaction.
                claimed = digest_batch(full) if claimed or intake_waiting() else 0
                dictionaries.maintain()  # cheap unless a project's dictionary is due
                if retention_every and time.monotonic() >= next_retention:
                    enforce_retention(
                        max_chunks=RETENTION_CHUNKS, checked=checked, on_delete=forget_events
                    )
                    deletion.purge(max_chunks=RETENTION_CHUNKS)  # deleted issues' events
                    next_retention = time.monotonic() + retention_every
            except DatabaseError as exc:
                outage.failed(exc, f"retrying in {ERROR_SLEEP:.0f} s")
                connection.close()  # a fresh connection on the next try
                time.sleep(ERROR_SLEEP)
                continue
            except Exception:
                logger.exception("digest worker loop failed; retrying")
                connection.close()
                time.sleep(ERROR_SLEEP)
                continue
            outage.succeeded()
            if once:
                if not claimed:
                    break
            elif claimed < full:
                time.sleep(max(0.0, POLL_INTERVAL - (time.monotonic() - started)))
