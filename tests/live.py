"""Real processes for end-to-end tests: gunicorn and the worker, on the test database."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_database_url() -> str:
    """A DATABASE_URL for the test database that pytest-django has set up."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def process_env(base_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=test_database_url(),
        BASE_URL=base_url,
        SECRET_KEY=settings.SECRET_KEY,
        DATA_DIR=str(settings.DATA_DIR),
        LOG_FORMAT="text",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port} after {timeout}s")


def wait_until_serving(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    """gunicorn's master listens before its workers have loaded the app: until one answers,
    every connection just queues (and tests that time requests would see the boot)."""
    wait_for_port(port, proc, timeout)
    deadline = time.monotonic() + timeout
    request = b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with {proc.returncode}")
        try:
            with socket.create_connection(
                ("127.0.0.1", port), timeout=deadline - time.monotonic()
            ) as s:
                s.sendall(request)
                if s.recv(12).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"no worker answered on {port} after {timeout}s")


class Gunicorn:
    """gunicorn serving Bugtrack with the repo's config, as in production."""

    def __init__(self, workers: int = 2, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [
            sys.executable, "-m", "gunicorn", "-c", str(ROOT / "bugtrack" / "gunicorn.conf.py"),
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers), "bugtrack.wsgi",
        ]  # fmt: skip
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=process_env(self.url, **env))
        wait_until_serving(self.port, self.proc)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def start_command(*args: str, base_url: str = "http://127.0.0.1:8000", **env: str):
    """Start `manage.py <args>` (e.g. the worker) against the test database."""
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=process_env(base_url, **env),
    )


def raw_http(
    port: int, head: bytes, body_chunks: Iterable[bytes] = (), timeout: float = 30
) -> tuple[int, dict, bytes]:
    """Send raw bytes to a live server and parse its answer.

    A reader thread collects the answer while we are still sending, because a server that
    answers early (413, 401) and closes makes our further writes fail, and the peer's reset
    could otherwise discard an answer we had not read yet.
    """
    import threading

    received = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:

        def read() -> None:
            try:
                while data := sock.recv(65536):
                    received.extend(data)
            except OSError:
                pass

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            sock.sendall(head)
            for chunk in body_chunks:
                if received:
                    break  # answered already: stop pushing the rest
                sock.sendall(chunk)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        reader.join(timeout)
    head_bytes, _, body = bytes(received).partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    if not lines or not lines[0].startswith("HTTP/"):
        raise AssertionError(f"no HTTP answer: {bytes(received)[:200]!r}")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


def chunked(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """HTTP/1.1 chunked transfer coding of an iterable of byte strings."""
    for chunk in chunks:
        if chunk:
            yield b"%x\r\n%s\r\n" % (len(chunk), chunk)
    yield b"0\r\n\r\n"


def worker_pids(server: "Gunicorn") -> list[int]:
    """The gunicorn worker processes (children of the master), for memory measurements."""
    children = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children").read_text()
    return [int(pid) for pid in children.split()]


def peak_rss_kib(pid: int) -> int:
    """VmHWM: the highest resident set size the process has had."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmHWM for {pid}")


class LoggedGunicorn(Gunicorn):
    """Gunicorn (as above) on a chosen or free port, its stdout kept in a file to read."""

    def __init__(self, log_dir: Path, workers: int = 1, port: int | None = None, **env: str):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stdout_path = log_dir / f"gunicorn-{self.port}.out"
        self.stderr_path = log_dir / f"gunicorn-{self.port}.err"
        cmd = [
            sys.executable, "-m", "gunicorn", "-c", str(ROOT / "bugtrack" / "gunicorn.conf.py"),
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers), "bugtrack.wsgi",
        ]  # fmt: skip
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=process_env(self.url, **env), stdout=out, stderr=err
            )
        wait_for_port(self.port, self.proc)

    def stdout_lines(self) -> list[str]:
        return self.stdout_path.read_text().splitlines()


def http(
    url: str, method: str = "GET", headers: dict[str, str] | None = None, data: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One plain HTTP request (stdlib only); error statuses are returned, not raised."""
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url, method=method, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(req, timeout=15) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def send_with_sentry_sdk(dsn: str, message: str = "entrypoint smoke") -> None:
    """Report one exception through the real sentry-sdk, from its own process."""
    script = (
        "import sys, sentry_sdk\n"
        "sentry_sdk.init(dsn=sys.argv[1], default_integrations=False)\n"
        "try:\n"
        "    raise RuntimeError(sys.argv[2])\n"
        "except RuntimeError:\n"
        "    sentry_sdk.capture_exception()\n"
        "sentry_sdk.flush(timeout=10)\n"
    )
    subprocess.run([sys.executable, "-c", script, dsn, message], check=True, timeout=60)


def in_one_minute(attempt: Callable[[], T]) -> T:
    """Run `attempt` again if a minute turned while it ran: a fixed-window rate limit resets
    on the minute, and a live server's clock cannot be pinned. The second run starts just
    after the turn, so it has the whole minute. (In-process tests pin
    `ingest.ratelimit.limiter.clock` instead.)"""
    for _ in range(2):
        minute = int(time.time() // 60)
        result = attempt()
        if int(time.time() // 60) == minute:
            return result
    raise AssertionError("a minute turned during each of two short attempts")
