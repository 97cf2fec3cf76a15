"""Log a database outage once, not once per request: the first failure after a success gets
its traceback (ERROR), every later one a single WARNING line, until something succeeds again.

Per process: with several gunicorn workers, each logs its own first traceback.
"""

import logging
import threading


class OutageLog:
    def __init__(self, logger: logging.Logger, what: str) -> None:
        self.logger = logger
        self.what = what
        self.down = False  # read without the lock on the hot path: a stale read only delays
        self._lock = threading.Lock()

    def failed(self, exc: BaseException, outcome: str) -> None:
        """`exc` made the database unusable; `outcome` is what the caller did about it."""
        with self._lock:
            first, self.down = not self.down, True
        if first:
            self.logger.error("%s: database unavailable; %s", self.what, outcome, exc_info=exc)
        else:
            summary = " ".join(str(exc).split())[:300]  # one line: drivers wrap their messages
            self.logger.warning(
                "%s: database still unavailable; %s (%s: %s)",
                self.what, outcome, type(exc).__name__, summary,
            )  # fmt: skip

    def succeeded(self) -> None:
        if self.down:
            with self._lock:
                was_down, self.down = self.down, False
            if was_down:
                self.logger.warning("%s: database available again", self.what)
