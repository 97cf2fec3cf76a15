"""The fault-injection harness: Bugtrack's real processes on a private PostgreSQL, SDK-like
senders with a known set of events, and the check that every event answered 200 is stored
exactly once.

Processes are started with the commands production uses (`serve --web-only` and
`serve --background-only`, the two roles of `serve`, or `serve` itself), each in its own
process group, so a fault can kill one process or a whole role, and the harness then starts
it again as a supervisor (systemd, Docker) would.
"""

import contextlib
import http.client
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import psycopg

from tests.live import ROOT, wait_until_serving


def role_env(database_url: str, port: int, data_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        BASE_URL=f"http://127.0.0.1:{port}",
        DATA_DIR=str(data_dir),
        SECRET_KEY="faults-" + "x" * 60,
        LOG_FORMAT="text",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        # The harness counts every event: no quota, no eviction.
        INGEST_EVENTS_PER_MINUTE="100000000",
        RETENTION_MAX_EVENTS="100000000",
    )
    env.update(extra)
    return env


class Role:
    """One `manage.py serve ...` process group, restartable."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path, port: int | None) -> None:
        self.args, self.env, self.log, self.port = args, env, log, port
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, str(ROOT / "manage.py"), "serve", *self.args],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        if self.port is not None:
            wait_until_serving(self.port, self.proc, timeout=60)

    def pids(self) -> list[int]:
        """The process and all its descendants (gunicorn master, workers, commands)."""
        assert self.proc is not None
        found, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            try:
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            todo += [int(c) for c in children]
        return found

    def find(self, needle: str) -> list[int]:
        out = []
        for pid in self.pids():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if needle.encode() in cmdline:
                out.append(pid)
        return out

    def kill_group(self, sig: int = signal.SIGKILL) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, sig)
        self.proc.wait(60)

    def restart_when_gone(self, timeout: float = 60) -> None:
        """Wait for the role to exit (e.g. serve stopping after a child died), start again."""
        assert self.proc is not None
        self.proc.wait(timeout)
        with_children_gone(self.proc.pid)
        self.start()

    def ensure_running(self) -> None:
        """Restart=always: a role that exited (serve stops when a child dies) starts again."""
        assert self.proc is not None
        if self.proc.poll() is not None:
            with_children_gone(self.proc.pid)
            self.start()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(40)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        with_children_gone(self.proc.pid if self.proc else None)


def with_children_gone(pgid: int | None, timeout: float = 30) -> None:
    """Wait until no process of the group is left (gunicorn workers outlive a killed master
    by a moment), then kill what is still there."""
    if pgid is None:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def envelope(event_id: str, n: int) -> bytes:
    event = {
        "event_id": event_id,
        "platform": "python",
        "level": "error",
        "message": f"fault harness {n % 7}",
        "exception": {"values": [{"type": f"FaultError{n % 7}", "value": f"event {n}"}]},
    }
    payload = orjson.dumps(event)
    return b"\n".join(
        [orjson.dumps({"event_id": event_id}), orjson.dumps({"type": "event"}), payload]
    )


@dataclass
class Outcome:
    sent: list[str]
    accepted: set[str] = field(default_factory=set)
    statuses: dict[int, int] = field(default_factory=dict)  # answers by status; 0 = none
    gave_up: int = 0


class Senders:
    """`threads` SDK-like clients sending `count` events at `rate`/s in total over kept-alive
    connections. A refused or unanswered event is sent again (after `retry_after`, which
    the overload scenario sets to 0: a client ignoring Retry-After), until `deadline_s`."""

    def __init__(
        self, port: int, project_id: int, key: str, count: int, rate: float,
        threads: int = 8, retry_after: float = 0.2, deadline_s: float = 240,
    ) -> None:  # fmt: skip
        self.port, self.path = port, f"/api/{project_id}/envelope/"
        self.headers = {
            "Content-Type": "application/x-sentry-envelope",
            "X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7",
        }
        self.count, self.rate, self.retry_after = count, rate, retry_after
        self.outcome = Outcome(sent=[uuid.uuid4().hex for _ in range(count)])
        self.next = 0
        self.lock = threading.Lock()
        self.deadline = time.monotonic() + deadline_s
        self.started = 0.0
        self.workers = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def start(self) -> "Senders":
        self.started = time.monotonic()
        for w in self.workers:
            w.start()
        return self

    def progress(self) -> int:
        with self.lock:
            return self.next

    def wait_until(self, fraction: float) -> None:
        while self.progress() < self.count * fraction and time.monotonic() < self.deadline:
            time.sleep(0.05)

    def join(self) -> Outcome:
        for w in self.workers:
            w.join(max(1.0, self.deadline - time.monotonic() + 30))
        return self.outcome

    def _take(self) -> int | None:
        with self.lock:
            if self.next >= self.count:
                return None
            n, self.next = self.next, self.next + 1
        time.sleep(max(0.0, self.started + n / self.rate - time.monotonic()))
        return n

    def _record(self, status: int) -> None:
        with self.lock:
            self.outcome.statuses[status] = self.outcome.statuses.get(status, 0) + 1

    def _run(self) -> None:
        conn: http.client.HTTPConnection | None = None
        while (n := self._take()) is not None:
            event_id = self.outcome.sent[n]
            body = envelope(event_id, n)
            while True:
                if time.monotonic() > self.deadline:
                    with self.lock:
                        self.outcome.gave_up += 1
                    break
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                    conn.request("POST", self.path, body=body, headers=self.headers)
                    response = conn.getresponse()
                    response.read()
                    status = response.status
                    if response.will_close:
                        conn.close()
                        conn = None
                except (OSError, http.client.HTTPException):
                    status = 0
                    if conn is not None:
                        conn.close()
                    conn = None
                self._record(status)
                if status == 200:
                    with self.lock:
                        self.outcome.accepted.add(event_id)
                    break
                if status not in (0, 429, 502, 503, 504):
                    raise AssertionError(f"unexpected answer {status} to event {n}")
                time.sleep(max(self.retry_after, 0.05) if status == 0 else self.retry_after)
        if conn is not None:
            conn.close()


def stored_counts(database_url: str, project_id: int, roles: list[Role], settle_s: float = 5,
                  timeout: float = 180) -> dict[str, int]:  # fmt: skip
    """Once the project's intake queue is empty and nothing new was stored for `settle_s`:
    how often each event id is stored."""
    deadline = time.monotonic() + timeout
    last, since = -1, time.monotonic()
    while True:
        for role in roles:
            role.ensure_running()
        try:
            with psycopg.connect(database_url, autocommit=True) as db:
                queued = db.execute(
                    "SELECT count(*) FROM ingest_intakeevent WHERE project_id = %s", [project_id]
                ).fetchone()[0]
                rows = db.execute(
                    "SELECT event_id, count(*) FROM issues_event WHERE project_id = %s "
                    "GROUP BY event_id",
                    [project_id],
                ).fetchall()
        except psycopg.OperationalError:
            queued, rows = 1, []
        total = sum(c for _, c in rows)
        if total != last:
            last, since = total, time.monotonic()
        if queued == 0 and time.monotonic() - since >= settle_s:
            return {event_id: count for event_id, count in rows}
        if time.monotonic() > deadline:
            raise AssertionError(f"digest did not finish: {queued} queued, {total} stored")
        time.sleep(0.5)
