"""Load shedding under a real gunicorn: past capacity, 503 at once instead of a queue."""

import threading
import time
from collections.abc import Iterator

import orjson
import pytest

from ingest.models import IntakeEvent
from projects.services import create_project
from tests.ingest_factories import event_body, event_envelope
from tests.live import Gunicorn, raw_http
from tests.test_ingest_live import key_of, post_head

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def one_thread_server(django_db_setup, django_db_blocker):
    """A single thread, so one stalled client makes every other request wait."""
    server = Gunicorn(workers=1, WEB_THREADS="1", INGEST_SHED_AFTER_SECONDS="0.3")
    yield server
    server.stop()


def _stalling(body: bytes, pause: float) -> Iterator[bytes]:
    yield body[:100]
    time.sleep(pause)  # the server's only thread is blocked reading the rest meanwhile
    yield body[100:]


def test_requests_that_waited_too_long_for_a_thread_are_shed(one_thread_server):
    project = create_project("Flood")
    path, key, port = f"/api/{project.pk}/envelope/", key_of(project), one_thread_server.port
    answers: dict[str, tuple[int, dict, bytes]] = {}

    def send(name: str, chunks: list[bytes] | Iterator[bytes], length: int) -> None:
        answers[name] = raw_http(port, post_head(path, key, length=length), chunks)

    slow_body = event_envelope(event_body())
    slow = threading.Thread(target=send, args=("slow", _stalling(slow_body, 1.0), len(slow_body)))
    slow.start()
    time.sleep(0.2)  # the slow request holds the thread now
    waiting = []
    for n in range(5):
        body = event_envelope(event_body())
        waiting.append(threading.Thread(target=send, args=(f"w{n}", [body], len(body))))
        waiting[-1].start()
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
