"""A database outage logs one traceback, then one WARNING line per request it refuses.

The outage is real: the connection is pointed at a port nobody listens on (PostgreSQL) or at
a file that cannot be opened (SQLite), so every query fails as it does when the server is
down, and pointed back afterwards.
"""

import logging
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

import orjson
import pytest
from django.db import connection

from ingest.models import IntakeEvent
from projects.services import create_project
from tests.conftest import sentry_auth_header
from tests.ingest_factories import event_body, event_envelope
from tests.live import ROOT, free_port, process_env

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_ingest_state"),
]


@contextmanager
def database_down():
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "postgresql":
        connection.settings_dict["PORT"] = str(free_port())
    else:
        connection.settings_dict["NAME"] = "/nonexistent/bugtrack/db.sqlite3"
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def send(client, project, count: int) -> list[int]:
    headers = project.auth_headers  # read while the database was up
    return [
        client.post(
            f"/api/{project.pk}/envelope/", data=event_envelope(event_body()),
            content_type="application/x-sentry-envelope", **headers,
        ).status_code
        for _ in range(count)
    ]  # fmt: skip


def tracebacks(records) -> list[logging.LogRecord]:
    return [r for r in records if r.exc_info]


def test_an_outage_logs_one_traceback_and_a_warning_per_refused_request(client, caplog):
    project = create_project("Outage")
    project.auth_headers = sentry_auth_header(project)
    assert send(client, project, 1) == [200]
    with caplog.at_level(logging.INFO), database_down():
        assert send(client, project, 20) == [503] * 20
    assert len(tracebacks(caplog.records)) == 1
    warnings = [r for r in caplog.records if r.name == "ingest.views" and not r.exc_info]
    assert len(warnings) == 19
    assert all(r.levelno == logging.WARNING and "\n" not in r.getMessage() for r in warnings)

    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert send(client, project, 1) == [200]  # back: the next outage is a new one
        with database_down():
            assert send(client, project, 5) == [503] * 5
    assert len(tracebacks(caplog.records)) == 1
    assert IntakeEvent.objects.count() == 2


@pytest.mark.parametrize("command", [["worker"], ["sendalerts", "--interval", "2"]])
def test_the_background_loops_log_one_traceback_per_outage(command):
    dead = f"postgres://postgres@127.0.0.1:{free_port()}/nothing"
    env = process_env("http://127.0.0.1:8000", DATABASE_URL=dead, LOG_FORMAT="json")
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), *command],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    read: list[bytes] = []
    try:
        # Both wait 2 s after a failed try; read until three tries are logged (a loaded
        # machine may take seconds just to start the command), within a deadline.
        deadline = time.monotonic() + 60
        assert proc.stdout is not None
        while time.monotonic() < deadline and len(_failures(read)) < 3:
            line = proc.stdout.readline()
            if not line:
                break
            read.append(line)
    finally:
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=30)
    output = b"".join(read) + rest
    failures = _failures(output.splitlines())
    assert len(failures) >= 3, output[-2000:]
    assert len([line for line in failures if "exc_info" in line]) == 1, output[-3000:]


def _failures(lines: list[bytes]) -> list[dict]:
    parsed = [orjson.loads(line) for line in lines if line.startswith(b"{")]
    return [line for line in parsed if line["level"] in ("WARNING", "ERROR")]
