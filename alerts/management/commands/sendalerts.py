"""The alert sender loop (started by `serve` beside gunicorn and the digest worker)."""

import signal
import threading

from django.core.management.base import BaseCommand

from alerts.sender import run, send_due_alerts


class Command(BaseCommand):
    help = (
        "Deliver pending alerts (email and channels): rules, flood control, retries with backoff."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between steps")
        parser.add_argument("--once", action="store_true", help="run one step and exit")

    def handle(self, *args, interval: float, once: bool, **options) -> None:
        if once:
            self.stdout.write(str(send_due_alerts()))
            return
        stopping = threading.Event()

        def stop(signum: int, frame: object) -> None:
            stopping.set()  # also wakes the loop from its pause between steps

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        run(interval=interval, stop=stopping)
