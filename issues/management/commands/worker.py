"""The digest worker: loops over `digest_batch()`, enforces retention now and then.

SIGTERM/SIGINT finish the current batch and exit 0; SIGKILL loses nothing because each batch
is one transaction.
"""

import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import connection

from issues.digest import digest_batch
from issues.retention import enforce_retention

logger = logging.getLogger(__name__)

IDLE_SLEEP = 0.2  # seconds between polls of an empty queue
RETENTION_EVERY = 60.0  # seconds between retention passes
ERROR_SLEEP = 2.0  # back off after a failed batch (database down, ...)


class Command(BaseCommand):
    help = "Digest intake events into issues, in batches, until SIGTERM."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="Drain the queue, then exit.")
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args, once: bool, batch_size: int | None, **options) -> None:
        stop = False

        def on_signal(signum: int, frame: object) -> None:
            nonlocal stop
            stop = True

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        next_retention = time.monotonic() + RETENTION_EVERY
        while not stop:
            try:
                claimed = digest_batch(batch_size)
                if time.monotonic() >= next_retention:
                    enforce_retention()
                    next_retention = time.monotonic() + RETENTION_EVERY
            except Exception:
                logger.exception("digest worker loop failed; retrying")
                connection.close()  # a fresh connection on the next try
                time.sleep(ERROR_SLEEP)
                continue
            if not claimed:
                if once:
                    break
                time.sleep(IDLE_SLEEP)
