"""The digest worker, held inside one batch's transaction until a signal comes: for tests
that stop or kill it there. Test-only; production code has no hook for this.

    python -m tests.pausing_worker MARKER BATCH worker [worker options]

runs `manage.py worker ...` with `digest.batch.digest_rows` wrapped: once batch number BATCH
(counted from 1) has digested its rows, still inside its transaction, the worker appends
"in batch BATCH" to the file MARKER and waits for SIGTERM or SIGINT. It hands that signal to
the worker's own handler (which asks the loop to stop after this batch) and carries on, so
the batch commits. SIGKILL ends it right there, with the batch uncommitted.
"""

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.live import ROOT, process_env

STOPPING = {signal.SIGTERM, signal.SIGINT}
WAIT_AT_MOST = 120.0  # seconds; a test that forgot the worker should not leave it forever


def start(marker: Path, batch: int, *worker_args: str) -> subprocess.Popen:
    """Start the held worker against the test database (like tests.live.start_command)."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.pausing_worker", str(marker), str(batch), *worker_args],
        cwd=ROOT,
        env=process_env("http://127.0.0.1:8000"),
    )


def wait_for_a_stop_signal(marker: Path, batch: int) -> None:
    # Blocked first: a signal sent as soon as the marker appears waits for sigtimedwait
    # instead of racing it (and the worker's handler is not run behind our back).
    signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)
    try:
        with marker.open("a") as out:
            out.write(f"in batch {batch}\n")
        received = signal.sigtimedwait(STOPPING, WAIT_AT_MOST)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPPING)
    if received is not None:
        handler = signal.getsignal(received.si_signo)
        if callable(handler):
            handler(received.si_signo, None)  # what delivering it would have done


def held_in(batch: int, marker: Path, digest_rows: Callable[..., None]) -> Callable[..., None]:
    """`digest_rows`, waiting for a signal after the `batch`th call (a batch's rows)."""
    calls = 0

    def wrapped(*args: object, **kwargs: object) -> None:
        nonlocal calls
        digest_rows(*args, **kwargs)
        calls += 1
        if calls == batch:
            wait_for_a_stop_signal(marker, batch)

    return wrapped


def main(marker: str, batch: str, *command: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bugtrack.settings")
    import django

    django.setup()
    from django.core.management import execute_from_command_line

    from digest import batch as digest

    digest.digest_rows = held_in(int(batch), Path(marker), digest.digest_rows)
    execute_from_command_line(["manage.py", *command])


if __name__ == "__main__":
    main(*sys.argv[1:])
