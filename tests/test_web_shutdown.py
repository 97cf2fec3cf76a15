"""SIGTERM: stop listening at once (late connections are refused, not reset), then finish
the requests in flight (issue 17, operations)."""

import os
import signal
import socket
import threading
import time

import pytest

from projects.services import create_project
from tests.ingest_factories import event_body, event_envelope
from tests.live import Gunicorn, free_port, start_command, wait_until_serving
from tests.test_ingest_live import key_of, post_head

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def late_connection(port: int, outcomes: list[str]) -> None:
    """What a client opening a connection now sees: refused, answered, or reset/dropped."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=2)
    except ConnectionRefusedError:
        outcomes.append("refused")
        return
    with sock:
        sock.settimeout(15)
        try:
            sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            answer = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            outcomes.append("reset")
            return
        except TimeoutError:
            outcomes.append("no answer")
            return
    outcomes.append("answered" if answer.startswith(b"HTTP/1.1 200") else f"dropped {answer!r}")


@pytest.fixture(params=["gunicorn", "serve"])
def running(request, django_db_setup, django_db_blocker):
    if request.param == "gunicorn":
        server = Gunicorn(workers=2)
        yield server.proc, server.port
        server.stop()
        return
    port = free_port()
    proc = start_command("serve", "--bind", f"127.0.0.1:{port}",
                         base_url=f"http://127.0.0.1:{port}")  # fmt: skip
    wait_until_serving(port, proc)
    yield proc, port
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


def test_sigterm_refuses_late_connections_and_finishes_the_request_in_flight(running):
    proc, port = running
    # One worker answers by now; a worker still loading when SIGTERM comes would take what
    # queued meanwhile and serve it (answered, not refused): let the others load too.
    time.sleep(2)
    project = create_project("Stopping")
    body = event_envelope(event_body())
    head = post_head(f"/api/{project.pk}/envelope/", key_of(project), length=len(body))
    in_flight = socket.create_connection(("127.0.0.1", port), timeout=20)
    in_flight.sendall(head + body[:50])
    time.sleep(0.3)

    os.kill(proc.pid, signal.SIGTERM)
    sent_at = time.monotonic()
    outcomes: list[str] = []
    late = []
    for delay in (0.1, 0.2, 0.3, 0.4, 0.5):
        time.sleep(max(0.0, sent_at + delay - time.monotonic()))
        late.append(threading.Thread(target=late_connection, args=(port, outcomes)))
        late[-1].start()
    time.sleep(max(0.0, sent_at + 1.0 - time.monotonic()))
    in_flight.sendall(body[50:])
    answer = in_flight.recv(65536)
    in_flight.close()
    for thread in late:
        thread.join(20)
    proc.wait(30)

    assert answer.startswith(b"HTTP/1.1 200"), answer
    assert len(outcomes) == 5
    assert set(outcomes) <= {"refused", "answered"}, outcomes
    assert "refused" in outcomes, outcomes
