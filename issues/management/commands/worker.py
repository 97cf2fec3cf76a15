"""Placeholder until the digest worker lands (issue: Digest)."""

import signal
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Digest worker (not implemented yet)."

    def handle(self, *args, **options) -> None:
        stop = False

        def on_term(signum: int, frame: object) -> None:
            nonlocal stop
            stop = True

        signal.signal(signal.SIGTERM, on_term)
        while not stop:
            time.sleep(1)
