"""Past capacity, refusing must be cheap and early (issue 17, availability item 5c): an
SDK request is refused by gunicorn's main thread, before it takes a thread, once requests
already wait longer than INGEST_SHED_AFTER_SECONDS."""

import socket
import statistics
import threading
import time
from collections.abc import Iterator

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
    server = Gunicorn(workers=1, WEB_THREADS="1", INGEST_SHED_AFTER_SECONDS="0.3")
    yield server
    server.stop()


def _slow_chunks(body: bytes, hold: float, sent: threading.Event) -> Iterator[bytes]:
    yield body[:100]
    sent.set()
    time.sleep(hold)  # a chunked body is read by the thread: it holds the only one meanwhile
    yield body[100:]


def test_refusals_past_capacity_are_answered_at_once_on_a_kept_alive_connection(
    one_thread_server,
):
    project = create_project("Busy")
    path, key, port = f"/api/{project.pk}/envelope/", key_of(project), one_thread_server.port
    slow_body = event_envelope(event_body())
    answers: dict[str, tuple[int, dict, bytes]] = {}

    def send(name: str, head: bytes, chunks) -> None:
        answers[name] = raw_http(port, head, chunks)

    sent = threading.Event()
    chunks = chunked(_slow_chunks(slow_body, 4.0, sent))
    slow = threading.Thread(target=send, args=("slow", post_head(path, key), chunks))
    slow.start()
    assert sent.wait(10)
    time.sleep(0.3)  # the slow request holds the thread
    body = event_envelope(event_body())
    primer = threading.Thread(
        target=send, args=("primer", post_head(path, key, length=len(body)), [body])
    )
    primer.start()  # waits for the thread: from 0.3 s on the process is past capacity
    time.sleep(0.6)

    seconds, statuses = [], []
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        for _ in range(20):
            body = event_envelope(event_body())
            started = time.monotonic()
            sock.sendall(post_head(path, key, length=len(body)) + body)
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.endswith(b"}"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
            seconds.append(time.monotonic() - started)
            head, _, payload = answer.partition(b"\r\n\r\n")
            statuses.append(int(head.split(b" ")[1]) if head else 0)
    last = head.decode("latin-1").lower()
    slow.join(30)
    primer.join(30)

    assert statuses == [503] * 20, (statuses, answers)  # on one connection: it stayed open
    assert statistics.median(seconds) < 0.1 and max(seconds) < 0.5, seconds
    assert "retry-after: 2" in last and "x-sentry-rate-limits: 2::organization" in last
    assert "access-control-allow-origin: *" in last
    assert orjson.loads(payload)["detail"].startswith("server overloaded")
    assert answers["slow"][0] == 200
    assert answers["primer"][0] == 503  # it waited 3.7 s for the thread: shed there
    assert IntakeEvent.objects.count() == 1  # only the slow one was written


def test_health_and_ui_are_queued_not_shed_past_capacity(one_thread_server):
    project = create_project("Busy UI")
    path, key, port = f"/api/{project.pk}/envelope/", key_of(project), one_thread_server.port
    slow_body = event_envelope(event_body())
    answers: dict[str, tuple[int, dict, bytes]] = {}

    def send(name: str, head: bytes, chunks) -> None:
        answers[name] = raw_http(port, head, chunks)

    sent = threading.Event()
    chunks = chunked(_slow_chunks(slow_body, 1.5, sent))
    slow = threading.Thread(target=send, args=("slow", post_head(path, key), chunks))
    slow.start()
    assert sent.wait(10)
    time.sleep(0.3)
    body = event_envelope(event_body())
    send("primer", post_head(path, key, length=len(body)) + body, [])
    send("health", b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", [])
    slow.join(30)
    assert answers["primer"][0] == 503
    assert answers["health"][0] == 200
