"""Slow and idle clients against the real gunicorn: they must not take the threads away from
health checks, the UI and other SDKs (issue 17, availability items 4 and 5b)."""

import contextlib
import socket
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from projects.services import create_project
from tests.ingest_factories import event_body, event_envelope
from tests.live import LoggedGunicorn, raw_http, wait_until_serving
from tests.test_ingest_live import key_of, post_head

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

HEADER_TIMEOUT, BODY_TIMEOUT = 2, 3


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory):
    """One process of four threads, so that a dozen stalled clients outnumber them 3:1; its
    log is kept to be read."""
    server = LoggedGunicorn(
        tmp_path_factory.mktemp("slow-clients"),
        WEB_HEADER_TIMEOUT=str(HEADER_TIMEOUT),
        WEB_BODY_TIMEOUT=str(BODY_TIMEOUT),
    )
    wait_until_serving(server.port, server.proc)
    yield server
    server.stop()


def timed_get(port: int, path: str, timeout: float = 2.0) -> tuple[int, float]:
    """(status, seconds) of one GET on a fresh connection; status 0 when it timed out."""
    started = time.monotonic()
    try:
        status, _, _ = raw_http(port, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode(),
                                timeout=timeout)  # fmt: skip
    except (AssertionError, OSError):
        status = 0
    return status, time.monotonic() - started


def read_answer(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return data


def test_stalled_heads_and_bodies_leave_health_and_ui_reachable_then_get_408(server):
    project = create_project("Stalled")
    path, key = f"/api/{project.pk}/envelope/", key_of(project)
    body = event_envelope(event_body())
    stalled = []
    for n in range(12):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        if n % 2:  # the whole head and a tenth of the body, then nothing
            sock.sendall(post_head(path, key, length=len(body)) + body[: len(body) // 10])
        else:  # half a head, then nothing
            sock.sendall(post_head(path, key, length=len(body))[:40])
        stalled.append(sock)
    time.sleep(0.5)  # the server has read what they sent

    health = [timed_get(server.port, "/health/live") for _ in range(5)]
    login = timed_get(server.port, "/accounts/login/")
    assert [status for status, _ in health] == [200] * 5, health
    assert max(seconds for _, seconds in health) < 1.0, health
    assert login[0] == 200, login

    # A request that arrives whole meanwhile is served at once.
    status, _, answer = raw_http(server.port, post_head(path, key, length=len(body)) + body)
    assert status == 200, answer

    # Past their deadline the stalled clients are told so and the connection is closed.
    answers = [read_answer(sock, HEADER_TIMEOUT + BODY_TIMEOUT + 3) for sock in stalled]
    for sock in stalled:
        sock.close()
    assert [a.split(b"\r\n", 1)[0] for a in answers] == [b"HTTP/1.1 408 Request Timeout"] * 12


def test_a_body_trickled_past_the_deadline_gets_408_although_bytes_keep_coming(server):
    project = create_project("Trickle")
    path, key = f"/api/{project.pk}/envelope/", key_of(project)
    body = event_envelope(event_body(extra={"pad": "x" * 2000}))
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(post_head(path, key, length=len(body)))
        answer = b""
        for n in range(len(body)):  # one byte every 0.1 s: far slower than the deadline allows
            sock.sendall(body[n : n + 1])
            time.sleep(0.1)
            sock.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                answer += sock.recv(65536)
            sock.setblocking(True)
            if answer or time.monotonic() - started > BODY_TIMEOUT + 5:
                break
        answer += read_answer(sock, 2)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:100]
    assert time.monotonic() - started < BODY_TIMEOUT + 3


def test_idle_connections_do_not_delay_or_shed_events_beside_them(server):
    """32 connections that open and say nothing, then 60 events at ~60/s, each on a new
    connection: every event is accepted, none waits for an idle connection's thread."""
    project = create_project("Idle")
    path, key = f"/api/{project.pk}/envelope/", key_of(project)
    idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(32)]
    time.sleep(0.2)

    def send(n: int) -> tuple[int, float]:
        time.sleep(n / 60)
        body = event_envelope(event_body())
        started = time.monotonic()
        try:
            status, _, _ = raw_http(server.port, post_head(path, key, length=len(body)) + body,
                                    timeout=10)  # fmt: skip
        except (AssertionError, OSError):
            status = 0
        return status, time.monotonic() - started

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(send, range(60)))
    for sock in idle:
        sock.close()
    statuses = [status for status, _ in results]
    assert statuses.count(200) == 60, {s: statuses.count(s) for s in set(statuses)}
    seconds = sorted(s for _, s in results)
    assert seconds[-1] < 1.5, (statistics.median(seconds), seconds[-5:])


def test_idle_connections_are_closed_after_the_keepalive_time(server):
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        started = time.monotonic()
        assert read_answer(sock, 15) == b""  # closed without an answer: it never asked
        assert time.monotonic() - started < 8


def test_pipelined_and_kept_alive_requests_are_all_answered(server):
    request = b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(request * 3)
        seen = b""
        deadline = time.monotonic() + 5
        while seen.count(b"HTTP/1.1 200") < 3 and time.monotonic() < deadline:
            seen += sock.recv(65536)
        time.sleep(0.3)
        sock.sendall(request[:10])
        time.sleep(0.3)
        sock.sendall(request[10:])
        deadline = time.monotonic() + 5
        while seen.count(b"HTTP/1.1 200") < 4 and time.monotonic() < deadline:
            seen += sock.recv(65536)
    assert seen.count(b"HTTP/1.1 200") == 4, seen


def test_threads_stay_free_while_clients_stall(server):
    """The stalled-clients scenario once more, from many threads: health keeps answering."""
    project = create_project("Many")
    path, key = f"/api/{project.pk}/envelope/", key_of(project)
    stop = threading.Event()

    def stall() -> None:
        body = event_envelope(event_body())
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(post_head(path, key, length=len(body)))
            stop.wait(BODY_TIMEOUT + 1)

    threads = [threading.Thread(target=stall) for _ in range(24)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    try:
        checks = [timed_get(server.port, "/health/live") for _ in range(10)]
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert [status for status, _ in checks] == [200] * 10, checks


def test_a_chunked_body_streamed_past_the_deadline_gets_408(server):
    """Chunked bodies are read by a thread (their length is unknown), against the deadline."""
    project = create_project("Chunked trickle")
    path, key = f"/api/{project.pk}/envelope/", key_of(project)
    body = event_envelope(event_body())
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(post_head(path, key))
        answer = b""
        for n in range(len(body)):
            try:
                sock.sendall(b"1\r\n%s\r\n" % body[n : n + 1])
            except OSError:
                break
            time.sleep(0.2)
            sock.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                answer += sock.recv(65536)
            sock.setblocking(True)
            if answer or time.monotonic() - started > BODY_TIMEOUT + 5:
                break
        answer += read_answer(sock, 2)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"did not arrive in time" in answer


# --- bodies a thread reads itself (Expect: 100-continue, over 1 MiB, chunked) in Django views

SENT = b"a=" + b"x" * 1000  # what the client sends of its body before it stalls
# How the request frames its body, and what a client that stalls mid-body must get.
FRAMINGS = {
    "expect": b"HTTP/1.1 408 Request Timeout",
    "large": b"HTTP/1.1 408 Request Timeout",
    "chunked": b"HTTP/1.1 411 Length Required",  # Django reads no chunked body at all
}


def stalled_post(port: int, path: str, headers: list[str], framing: str) -> bytes:
    """Send a POST's head and the start of its body as `framing` says, then stall; return
    what the server answered until it closed the connection."""
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *headers]
    if framing == "chunked":
        lines.append("Transfer-Encoding: chunked")
        first = b"%x\r\n%s\r\n" % (len(SENT), SENT)
    elif framing == "expect":
        lines += ["Expect: 100-continue", f"Content-Length: {len(SENT) * 4}"]
        first = SENT
    else:
        lines.append(f"Content-Length: {2 * 1024 * 1024}")  # past the main thread's buffer
        first = SENT
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        answer = b""
        if framing == "expect":  # wait for the go-ahead, as a client that asked for it does
            answer = read_until(sock, b"\r\n\r\n", timeout=3)
        sock.sendall(first)
        return answer + read_answer(sock, BODY_TIMEOUT + 8)


def read_until(sock: socket.socket, end: bytes, timeout: float) -> bytes:
    sock.settimeout(timeout)
    data = b""
    with contextlib.suppress(TimeoutError):
        while end not in data and (chunk := sock.recv(65536)):
            data += chunk
    return data


def final_answer(answer: bytes) -> bytes:
    """The final answer, after any `100 Continue`."""
    while answer.startswith(b"HTTP/1.1 100 "):
        answer = answer.partition(b"\r\n\r\n")[2]
    return answer


def log_mark(server: LoggedGunicorn) -> tuple[int, int]:
    return server.stdout_path.stat().st_size, server.stderr_path.stat().st_size


def log_since(server: LoggedGunicorn, mark: tuple[int, int]) -> str:
    paths = (server.stdout_path, server.stderr_path)
    tails = (p.read_bytes()[n:] for p, n in zip(paths, mark, strict=True))
    return "".join(tail.decode(errors="replace") for tail in tails)


def assert_refused_cleanly(server, framing: str, answer: bytes, path: str, mark) -> None:
    final = final_answer(answer)
    assert final.split(b"\r\n", 1)[0] == FRAMINGS[framing], answer[:300]
    assert final.count(b"HTTP/1.1 ") == 1, final  # one answer, then the connection closed
    time.sleep(0.2)  # the access line is written after the answer
    log = log_since(server, mark)
    assert "Traceback" not in log and " 500" not in log, log[-3000:]
    status = FRAMINGS[framing].split()[1].decode()
    assert f"POST {path} {status}" in log or framing == "chunked", log[-3000:]


@pytest.mark.parametrize("framing", FRAMINGS)
def test_a_ui_form_post_whose_body_stalls_is_refused_without_a_500(server, framing):
    headers = ["Content-Type: application/x-www-form-urlencoded"]
    mark = log_mark(server)
    answer = stalled_post(server.port, "/accounts/login/", headers, framing)
    assert_refused_cleanly(server, framing, answer, "/accounts/login/", mark)
    assert b"text/plain" in answer


@pytest.mark.parametrize("framing", FRAMINGS)
def test_an_api_chunk_upload_whose_body_stalls_is_refused_without_a_500(server, framing):
    from django.contrib.auth import get_user_model

    from tests.api_factories import token_for

    owner = get_user_model().objects.create_user(f"uploader-{framing}")
    create_project(f"Uploads {framing}", admins=[owner])
    headers = [
        f"Authorization: Bearer {token_for(owner)}",
        "Content-Type: multipart/form-data; boundary=xyz",
    ]
    path = "/api/0/organizations/bugtrack/chunk-upload/"
    mark = log_mark(server)
    answer = stalled_post(server.port, path, headers, framing)
    assert_refused_cleanly(server, framing, answer, path, mark)
    assert b"application/json" in answer and b'{"detail":"' in answer
