"""Prometheus multiprocess plumbing shared by gunicorn's config, `serve` and ops.metrics.

No Django and no metrics are imported here: gunicorn's master process uses it.
"""

import os
import shutil
import socket
import tempfile

ENV = "PROMETHEUS_MULTIPROC_DIR"


# prometheus_client asks for the identifier on every metric update (to notice forks): the
# host name is read once, not with a system call each time.
_HOST = socket.gethostname().replace("_", "-")


def process_identifier(pid: int | None = None) -> str:
    """Host and pid: unique even when containers on one host share the metrics directory."""
    return f"{_HOST}-{pid or os.getpid()}"


def ensure_dir() -> str:
    """Point this process and its children at a metrics directory.

    Returns the directory if we made it (a fresh one: the caller removes it at exit), or ""
    if the environment already named one (the operator or a parent process owns it).
    """
    if os.environ.get(ENV):
        os.makedirs(os.environ[ENV], exist_ok=True)
        return ""
    path = tempfile.mkdtemp(prefix="bugtrack-metrics-")
    os.environ[ENV] = path
    return path


def mark_dead(pid: int) -> None:
    from prometheus_client import multiprocess

    if os.environ.get(ENV):
        multiprocess.mark_process_dead(process_identifier(pid))


def remove_dir(path: str) -> None:
    if path:
        shutil.rmtree(path, ignore_errors=True)
