"""A private PostgreSQL cluster for fault injection: its own data directory, port and socket
in a temporary directory, started and stopped (and restarted by the faults) here only. The
machine's own cluster is never touched."""

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.live import free_port


def _bin_dir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    if not found:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    return found[-1].parent


class PrivateCluster:
    def __init__(self) -> None:
        self.bin = _bin_dir()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="bugtrack-faults-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        # initdb and postgres refuse to run as root: run them as the postgres user then.
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-instructions")  # fmt: skip
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=200"
            " -c shared_buffers=64MB -c log_min_messages=warning"
        )
        (self.data / "bugtrack.opts").write_text(options)
        self.options = options

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, program: str, *args: str) -> None:
        cmd = [str(self.bin / program), *args]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, timeout=120)

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", *args)

    def start(self) -> None:
        self._pg_ctl("-o", self.options, "start")

    def restart(self, mode: str) -> None:
        """`fast` (clients disconnected, clean shutdown) or `immediate` (crash recovery)."""
        self._pg_ctl("-m", mode, "-o", self.options, "restart")

    def stop(self) -> None:
        try:
            self._pg_ctl("-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
