"""Load shedding under a real gunicorn: past capacity, 503 at once instead of a queue."""

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from ingest.models import IntakeEvent
from projects.services import create_project
from tests.ingest_factories import event_body, event_envelope
from tests.live import Gunicorn, chunked, raw_http
from tests.test_ingest_live import key_of, post_head

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def one_thread_server(django_db_setup, django_db_blocker):
    """A single thread, so one stalled client makes every other request wait."""
    server = Gunicorn(workers=1, WEB_THREADS="1", INGEST_SHED_AFTER_SECONDS="0.3")
    yield server
    server.stop()


def _stalling(body: bytes, sent: threading.Event, release: threading.Event) -> Iterator[bytes]:
    yield body[:100]
    sent.set()  # the head and the first bytes are out; the rest waits for `release`
    release.wait(30)
    yield body[100:]


def _loopback_queues(port: int) -> list[tuple[bool, int, int]]:
    """(server side?, send queue, receive queue) of each established connection to `port`."""
    found = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, remote, state, queues = line.split()[1:5]
        if state != "01":  # ESTABLISHED
            continue
        tx, rx = (int(q, 16) for q in queues.split(":"))
        if int(local.rsplit(":", 1)[1], 16) == port:
            found.append((True, tx, rx))
        elif int(remote.rsplit(":", 1)[1], 16) == port:
            found.append((False, tx, rx))
    return found


def _wait_until_the_server_read_what_was_sent(port: int, timeout: float = 10) -> None:
    """Nothing in flight and nothing unread: a worker thread has taken the request and is
    reading its body (the main thread hands a chunked request over once its head is in)."""
    deadline = time.monotonic() + timeout
    while True:
        queues = _loopback_queues(port)
        if queues and all((rx if server else tx) == 0 for server, tx, rx in queues):
            return
        assert time.monotonic() < deadline, f"the server did not read its request: {queues}"
        time.sleep(0.02)


def test_requests_that_waited_too_long_for_a_thread_are_shed(one_thread_server):
    project = create_project("Flood")
    path, key, port = f"/api/{project.pk}/envelope/", key_of(project), one_thread_server.port
    answers: dict[str, tuple[int, dict, bytes]] = {}

    def send(name: str, chunks: list[bytes] | Iterator[bytes], length: int | None) -> None:
        answers[name] = raw_http(port, post_head(path, key, length=length), chunks)

    slow_body = event_envelope(event_body())
    sent, release = threading.Event(), threading.Event()
    slow_chunks = _stalling(slow_body, sent, release)
    # Chunked: gunicorn's main thread buffers a request of known length whole, but hands a
    # chunked one to a thread once its head is in, and the thread reads the rest.
    slow = threading.Thread(target=send, args=("slow", chunked(slow_chunks), None))
    slow.start()
    assert sent.wait(10)
    _wait_until_the_server_read_what_was_sent(port)  # its only thread holds the slow request
    waiting = []
    for n in range(5):
        body = event_envelope(event_body())
        waiting.append(threading.Thread(target=send, args=(f"w{n}", [body], len(body))))
        waiting[-1].start()
    time.sleep(1.0)  # they wait longer than INGEST_SHED_AFTER_SECONDS=0.3: what is tested
    release.set()
    for thread in [slow, *waiting]:
        thread.join(30)

    assert answers["slow"][0] == 200
    for n in range(5):
        status, headers, body = answers[f"w{n}"]
        assert status == 503, (status, body)
        assert headers["retry-after"] == "2"
        assert headers["x-sentry-rate-limits"] == "2::organization"
        assert headers["access-control-allow-origin"] == "*"
        assert orjson.loads(body)["detail"].startswith("server overloaded")
    # Shed before anything was written: only the slow event is queued.
    assert IntakeEvent.objects.count() == 1

    # Once the backlog is gone, requests are served again.
    body = event_envelope(event_body())
    status, _, _ = raw_http(port, post_head(path, key, length=len(body)) + body)
    assert status == 200
    assert IntakeEvent.objects.count() == 2
