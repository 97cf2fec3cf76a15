"""Run web and background work together: gunicorn plus the background commands.

This is what `make run` and the Docker role `all` use. If any child exits, the rest are
stopped, so a supervisor (systemd, Docker) sees the failure and restarts the whole thing.
"""

import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from core import multiproc

# Long-running management commands started beside the web server.
BACKGROUND_COMMANDS: list[list[str]] = [["worker"], ["sendalerts"]]


class Command(BaseCommand):
    help = "Serve the web app (gunicorn) and the background worker(s) in one process group."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--bind", default=settings.BIND, help="default: BIND, else BASE_URL's port on 127.0.0.1"
        )
        parser.add_argument("--web-only", action="store_true")
        parser.add_argument("--background-only", action="store_true")

    def handle(self, *args, bind: str, web_only: bool, background_only: bool, **opts) -> None:
        manage = str(Path(settings.BASE_DIR) / "manage.py")
        conf = str(Path(settings.BASE_DIR) / "bugtrack" / "gunicorn.conf.py")
        commands: list[list[str]] = []
        if not background_only:
            commands.append(
                [sys.executable, "-m", "gunicorn", "-c", conf, "--bind", bind, "bugtrack.wsgi"]
            )
        if not web_only:
            commands += [[sys.executable, manage, *cmd] for cmd in BACKGROUND_COMMANDS]

        # One metrics directory for gunicorn and the background commands: /metrics sums them.
        own_metrics_dir = multiproc.ensure_dir()
        children = [subprocess.Popen(cmd, cwd=settings.BASE_DIR) for cmd in commands]
        if not background_only:
            self.stdout.write(f"Bugtrack is serving on http://{bind}/", ending="\n")
        stopping = False
        signalled: set[int] = set()

        def terminate_children() -> None:
            for child in children:
                if child.pid not in signalled and child.poll() is None:
                    child.send_signal(signal.SIGTERM)
                    signalled.add(child.pid)

        def stop(signum: int, frame: object) -> None:
            # Pass it on at once: gunicorn stops listening on SIGTERM, and every moment it
            # still listens here accepts connections it will not serve.
            nonlocal stopping
            stopping = True
            terminate_children()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        exit_code = 0
        while not stopping:
            for child in children:
                code = child.poll()
                if code is not None:
                    self.stderr.write(f"{child.args!r} exited with {code}; stopping")
                    exit_code = code or 1
                    stopping = True
            time.sleep(0.5)
        terminate_children()
        for child in children:
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
        multiproc.remove_dir(own_metrics_dir)
        sys.exit(exit_code)
