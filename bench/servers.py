"""The production process layout for a benchmark run: gunicorn plus digest worker(s).

Both run from the repo with DEBUG off against the run's database, exactly as
`manage.py serve` would start them, but as separate children so that their process trees
(gunicorn master + workers) can be measured on their own.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database_url: str, base_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    (data_dir / "metrics").mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        BASE_URL=base_url,
        DEBUG="0",
        SECRET_KEY="bench-" + "x" * 50,
        DATA_DIR=str(data_dir),
        LOG_FORMAT="text",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        # The benchmark measures capacity, not the per-project quota (default 60,000/min),
        # nor retention (which would delete events while we count them).
        INGEST_EVENTS_PER_MINUTE="100000000",
        RETENTION_MAX_EVENTS="100000000",
        # One metrics directory for gunicorn and the background commands, as `serve` does.
        PROMETHEUS_MULTIPROC_DIR=str(data_dir / "metrics"),
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def wait_for_port(port: int, procs: list[subprocess.Popen], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{proc.args} exited early with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def background_commands(digest_workers: int) -> list[list[str]]:
    """What `manage.py serve` starts beside gunicorn, with the digest worker repeated."""
    try:
        from bugtrack.management.commands.serve import BACKGROUND_COMMANDS
    except ImportError:
        BACKGROUND_COMMANDS = [["worker"]]
    commands = []
    for command in BACKGROUND_COMMANDS:
        commands += [command] * (digest_workers if command == ["worker"] else 1)
    return commands


class Layout:
    """gunicorn (bugtrack/gunicorn.conf.py) + the background commands of `manage.py serve`
    (the digest `worker` x digest_workers, `sendalerts`, ...)."""

    def __init__(
        self,
        env: dict[str, str],
        port: int,
        digest_workers: int,
        log_dir: Path,
        gunicorn_args: tuple[str, ...] = (),
    ) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        log_dir.mkdir(parents=True, exist_ok=True)
        self._logs = [open(log_dir / "gunicorn.log", "ab")]  # noqa: SIM115
        conf = str(ROOT / "bugtrack" / "gunicorn.conf.py")
        self.gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", conf, "--bind", f"127.0.0.1:{port}",
             *gunicorn_args, "bugtrack.wsgi"],
            cwd=ROOT, env=env, stdout=self._logs[0], stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.workers = []
        for n, command in enumerate(background_commands(digest_workers)):
            log = open(log_dir / f"{command[0]}-{n}.log", "ab")  # noqa: SIM115
            self._logs.append(log)
            self.workers.append(
                subprocess.Popen(
                    [sys.executable, str(ROOT / "manage.py"), *command],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )  # fmt: skip
            )
        wait_for_port(port, [self.gunicorn, *self.workers])

    @property
    def roots(self) -> list[int]:
        return [self.gunicorn.pid, *(w.pid for w in self.workers)]

    def check_alive(self) -> None:
        for proc in [self.gunicorn, *self.workers]:
            if proc.poll() is not None:
                raise RuntimeError(f"{proc.args} exited with {proc.returncode}; see its log")

    def stop(self) -> None:
        procs = [self.gunicorn, *self.workers]
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self._logs:
            log.close()


def post(url: str, body: bytes, key: str, sdk: str, timeout: float = 30) -> int:
    """One envelope POST as an SDK sends it; returns the status code."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/x-sentry-envelope",
            "Content-Encoding": "gzip",
            "X-Sentry-Auth": f"Sentry sentry_version=7, sentry_key={key}, sentry_client={sdk}",
            "User-Agent": sdk,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
