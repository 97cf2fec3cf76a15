"""Structured logs: one JSON object per line on stdout, each carrying the request id."""

import io
import json
import logging
import os
import pty
import subprocess
import sys
import time

import pytest

from core.logging import JsonFormatter, TextFormatter, log_format, request_context
from ingest.models import IntakeEvent
from tests.live import ROOT, LoggedGunicorn, http, process_env


@pytest.fixture(scope="module")
def json_server(django_db_setup, django_db_blocker, tmp_path_factory):
    server = LoggedGunicorn(tmp_path_factory.mktemp("logs"), workers=1, LOG_FORMAT="json")
    yield server
    server.stop()


def lines_for(server: LoggedGunicorn, request_id: str) -> list[dict]:
    deadline = time.monotonic() + 5
    while True:
        records = [json.loads(line) for line in server.stdout_lines()]
        mine = [r for r in records if r.get("request_id") == request_id]
        if mine or time.monotonic() > deadline:
            return mine
        time.sleep(0.1)


@pytest.mark.live
def test_every_stdout_line_is_a_json_object(transactional_db, json_server):
    http(f"{json_server.url}/health/live")
    http(f"{json_server.url}/no/such/page/")
    lines = json_server.stdout_lines()
    assert len(lines) >= 3  # gunicorn's start-up lines and ours
    for line in lines:
        record = json.loads(line)
        assert isinstance(record, dict)
        assert {"time", "level", "logger", "message"} <= record.keys()


@pytest.mark.live
def test_a_supplied_request_id_is_echoed_and_on_every_line_of_that_request(
    transactional_db, json_server
):
    status, headers, _ = http(
        f"{json_server.url}/projects/nope/", headers={"X-Request-ID": "req-4711"}
    )
    assert headers["X-Request-ID"] == "req-4711"
    mine = lines_for(json_server, "req-4711")
    loggers = {r["logger"] for r in mine}
    assert "bugtrack.request" in loggers
    access = next(r for r in mine if r["logger"] == "bugtrack.request")
    assert access["path"] == "/projects/nope/"
    assert access["status"] == status
    assert access["duration_ms"] >= 0


@pytest.mark.live
def test_django_error_lines_carry_the_request_id_too(transactional_db, json_server):
    http(f"{json_server.url}/no/such/page/", headers={"X-Request-ID": "req-404"})
    http(f"{json_server.url}/health/live", method="POST", headers={"X-Request-ID": "req-403"})
    assert {"bugtrack.request", "django.request"} <= {
        r["logger"] for r in lines_for(json_server, "req-404")
    }
    assert "django.security.csrf" in {r["logger"] for r in lines_for(json_server, "req-403")}


@pytest.mark.live
def test_a_missing_or_unsafe_request_id_is_replaced_by_a_generated_one(
    transactional_db, json_server
):
    _, headers, _ = http(f"{json_server.url}/health/live")
    generated = headers["X-Request-ID"]
    assert len(generated) == 32 and int(generated, 16) >= 0
    assert lines_for(json_server, generated)

    _, headers, _ = http(f"{json_server.url}/health/live", headers={"X-Request-ID": 'a b"c' * 30})
    assert headers["X-Request-ID"] != 'a b"c' * 30
    assert len(headers["X-Request-ID"]) == 32


@pytest.mark.live
def test_ingest_requests_get_a_request_id_although_they_skip_the_middleware_chain(
    transactional_db, json_server
):
    _, headers, _ = http(
        f"{json_server.url}/api/1/envelope/", method="POST", data=b"{}\n",
        headers={"X-Request-ID": "ingest-1"},
    )  # fmt: skip
    assert headers["X-Request-ID"] == "ingest-1"
    access = [r for r in lines_for(json_server, "ingest-1") if r["logger"] == "bugtrack.request"]
    assert access[0]["view"] == "ingest:envelope"


@pytest.mark.live
def test_query_strings_never_reach_the_logs(transactional_db, json_server):
    url = json_server.url
    http(f"{url}/api/1/store/?sentry_key=supersecretkey123", method="POST", data=b"{}",
         headers={"X-Request-ID": "query-1"})  # fmt: skip
    http(f"{url}/health/live?token=supersecretkey123", headers={"X-Request-ID": "query-2"})
    assert lines_for(json_server, "query-1") and lines_for(json_server, "query-2")  # logged
    assert "supersecretkey123" not in json_server.stdout_path.read_text()


def make_record(msg: str = "hello %s", args: tuple = ("world",), **extra) -> logging.LogRecord:
    record = logging.LogRecord("bugtrack.test", logging.WARNING, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    return record


def test_json_lines_keep_plain_extras_and_drop_objects_such_as_the_request():
    record = make_record(status=404, view="x", request=object(), payload_obj=[1, 2])
    with request_context("ctx-1"):
        entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "hello world"
    assert entry["level"] == "WARNING"
    assert entry["request_id"] == "ctx-1"
    assert entry["status"] == 404 and entry["view"] == "x"
    assert "request" not in entry and "payload_obj" not in entry


def test_an_explicit_request_id_wins_over_the_context_one():
    record = make_record(request_id="from-intake-row")
    with request_context("ctx-2"):
        assert json.loads(JsonFormatter().format(record))["request_id"] == "from-intake-row"


def test_exceptions_are_one_json_line_with_the_traceback():
    try:
        raise ValueError("bad")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert "ValueError: bad" in json.loads(line)["exc_info"]


def test_text_format_is_for_humans_and_shows_the_request_id():
    with request_context("ctx-3"):
        line = TextFormatter().format(make_record())
    assert "WARNING" in line and "[ctx-3]" in line and line.endswith("hello world")


@pytest.mark.live
def test_the_request_id_travels_with_the_event_into_the_worker_logs(
    transactional_db, json_server, project
):
    key = project.keys.first().public_key
    event = b'{"message": "carry me", "level": "error"}'
    envelope = b'{}\n{"type":"event"}\n' + event + b"\n"
    status, headers, _ = http(
        f"{json_server.url}/api/{project.pk}/envelope/", "POST",
        {"X-Sentry-Auth": f"Sentry sentry_key={key}", "X-Request-ID": "carry-me-1"}, envelope,
    )  # fmt: skip
    assert status == 200 and headers["X-Request-ID"] == "carry-me-1"
    assert IntakeEvent.objects.get(project_id=project.pk).request_id == "carry-me-1"

    worker = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "worker", "--once"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env=process_env(json_server.url, LOG_FORMAT="json", LOG_LEVEL="DEBUG"),
    )  # fmt: skip
    assert worker.returncode == 0, worker.stderr
    records = [json.loads(line) for line in worker.stdout.splitlines()]
    digested = [r for r in records if r["message"].startswith("digested event")]
    assert digested and digested[0]["request_id"] == "carry-me-1"
    assert "carry me" not in worker.stdout  # never the payload


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("configured", "stream", "chosen"),
    [
        ("", Terminal(), "text"),
        ("", io.StringIO(), "json"),
        ("json", Terminal(), "json"),
        ("text", io.StringIO(), "text"),
    ],
)
def test_the_format_follows_whether_stdout_is_a_terminal_unless_log_format_says(
    configured, stream, chosen
):
    assert log_format(configured, stream) == chosen


def test_without_a_usable_stdout_the_format_is_json():
    closed = io.StringIO()
    closed.close()
    assert log_format("", closed) == "json"
    assert log_format("", object()) == "json"


# One warning through the real configuration: Django's settings.LOGGING, or gunicorn's
# logconfig_dict from bugtrack/gunicorn.conf.py, applied as gunicorn applies it.
DJANGO_LOGS = (
    "import django, logging; django.setup(); logging.getLogger('bugtrack.test').warning('hi')"
)
GUNICORN_LOGS = (
    "import logging.config, runpy; "
    "conf = runpy.run_path('bugtrack/gunicorn.conf.py'); "
    "logging.config.dictConfig(conf['logconfig_dict']); "
    "logging.getLogger('gunicorn.error').warning('hi')"
)


def run_logging(code: str, tmp_path, on_terminal: bool, **env: str) -> str:
    """Run `code` in a fresh interpreter with stdout on a pseudo-terminal or a pipe."""
    environment = {
        k: v for k, v in os.environ.items() if k not in ("LOG_FORMAT", "DJANGO_SETTINGS_MODULE")
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="bugtrack.settings",
        DATA_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
        **env,
    )
    command = [sys.executable, "-c", code]
    if not on_terminal:
        done = subprocess.run(
            command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout
    controller, terminal = pty.openpty()
    try:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=terminal, stderr=subprocess.PIPE
        )
        os.close(terminal)
        output = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # EIO: the child closed its end
                break
            if not chunk:
                break
            output += chunk
        assert proc.wait(timeout=60) == 0, proc.stderr.read()
        proc.stderr.close()
    finally:
        os.close(controller)
    return output.decode().replace("\r\n", "\n")


def log_line(output: str) -> str:
    return next(line for line in output.splitlines() if line.endswith("hi") or '"hi"' in line)


@pytest.mark.parametrize("code", [DJANGO_LOGS, GUNICORN_LOGS], ids=["django", "gunicorn"])
@pytest.mark.parametrize(
    ("on_terminal", "env", "chosen"),
    [
        (True, {}, "text"),
        (False, {}, "json"),
        (True, {"LOG_FORMAT": "json"}, "json"),
        (False, {"LOG_FORMAT": "text"}, "text"),
    ],
    ids=["terminal", "pipe", "terminal-LOG_FORMAT=json", "pipe-LOG_FORMAT=text"],
)
def test_logs_are_text_on_a_terminal_and_json_elsewhere_unless_log_format_says(
    tmp_path, code, on_terminal, env, chosen
):
    line = log_line(run_logging(code, tmp_path, on_terminal, **env))
    if chosen == "json":
        assert json.loads(line)["message"] == "hi"
    else:
        assert " WARNING " in line and line.endswith(" hi")
        with pytest.raises(ValueError):
            json.loads(line)
