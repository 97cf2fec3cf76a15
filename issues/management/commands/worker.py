"""The digest worker: loops over `digest_batch()`, enforces retention now and then.

SIGTERM/SIGINT finish the current batch and exit 0; SIGKILL loses nothing because each batch
is one transaction.
"""

import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import connection

from issues import dictionaries
from issues.digest import digest_batch
from issues.retention import enforce_retention

logger = logging.getLogger(__name__)

IDLE_SLEEP = 0.2  # seconds between polls of an empty queue
# Retention runs often with a small budget (chunks of 1,000 events per project), so that it
# keeps up with a flood (10,000 events / 5 s per project) without stalling the digest for long.
RETENTION_EVERY = 5.0
RETENTION_CHUNKS = 10
ERROR_SLEEP = 2.0  # back off after a failed batch (database down, ...)


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
        next_retention = time.monotonic() + retention_every
        while not stop:
            try:
                claimed = digest_batch(batch_size)
                dictionaries.maintain()  # cheap unless a project's dictionary is due
                if retention_every and time.monotonic() >= next_retention:
                    enforce_retention(max_chunks=RETENTION_CHUNKS)
                    next_retention = time.monotonic() + retention_every
            except Exception:
                logger.exception("digest worker loop failed; retrying")
                connection.close()  # a fresh connection on the next try
                time.sleep(ERROR_SLEEP)
                continue
            if not claimed:
                if once:
                    break
                time.sleep(IDLE_SLEEP)
