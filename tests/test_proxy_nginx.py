"""The shipped nginx config (docker/nginx.conf) in front of a real gunicorn: slow clients stay
at nginx, limits answer at once, and a missing backend is a fast 503 that SDKs back off on.

Only the addresses and paths are rewritten for the test; limits and timeouts are as shipped.
"""

import http.client
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from projects.services import create_project
from tests.ingest_factories import event_body, event_envelope
from tests.live import ROOT, Gunicorn, free_port, raw_http, wait_for_port
from tests.test_ingest_live import key_of, post_head
from tests.test_web_slow_clients import read_answer

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def request(port: int, method: str, path: str, body: bytes | None = None, **headers: str):
    """(status, headers, body, seconds). Not tests.live.raw_http: that half-closes the
    connection after sending, and nginx takes a half-closed client for one that left."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    started = time.monotonic()
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        answer = response.read()
        return response.status, dict(response.headers), answer, time.monotonic() - started
    except OSError:
        return 0, {}, b"", time.monotonic() - started
    finally:
        conn.close()


def render(upstream_port: int, port: int, tmp: Path) -> Path:
    conf = (ROOT / "docker" / "nginx.conf").read_text()
    for old, new in [
        ("server web:8000 ", f"server 127.0.0.1:{upstream_port} "),
        ("listen 8080;", f"listen 127.0.0.1:{port};"),
        ("/tmp/", f"{tmp}/"),
    ]:
        assert old in conf, old
        conf = conf.replace(old, new)
    path = tmp / "nginx.conf"
    path.write_text(conf)
    return path


@pytest.fixture(scope="module")
def proxied(django_db_setup, django_db_blocker, tmp_path_factory):
    if not Path(NGINX).exists():
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    server = Gunicorn(workers=1)
    tmp = tmp_path_factory.mktemp("nginx")
    port = free_port()
    conf = render(server.port, port, tmp)
    subprocess.run([NGINX, "-t", "-q", "-p", str(tmp), "-c", str(conf)], check=True)
    proc = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(conf), "-g", "daemon off;"])
    wait_for_port(port, proc)
    yield server, port
    proc.terminate()
    proc.wait(10)
    server.stop()


def test_stalled_clients_stay_at_nginx_while_health_and_events_pass(proxied):
    server, port = proxied
    project = create_project("Proxied")
    path, key = f"/api/{project.pk}/envelope/", key_of(project)
    body = event_envelope(event_body())
    stalled = []
    for n in range(24):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        head = post_head(path, key, length=len(body))
        sock.sendall(head + body[:10] if n % 2 else head[:40])
        stalled.append(sock)
    time.sleep(0.5)
    health = [request(port, "GET", "/health/live") for _ in range(5)]
    auth = {"X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7"}
    status, _, answer, _ = request(port, "POST", path, body, **auth)
    assert [(s, t < 1) for s, _, _, t in health] == [(200, True)] * 5, health
    assert status == 200, answer
    # A head still incomplete after client_header_timeout (10 s) is dropped by nginx.
    started = time.monotonic()
    assert not read_answer(stalled[0], 15).startswith(b"HTTP/1.1 200")
    assert time.monotonic() - started < 12
    for sock in stalled:
        sock.close()


def test_a_body_over_the_limit_is_refused_before_it_is_sent(proxied):
    _, port = proxied
    head = post_head("/api/1/envelope/", "k" * 32, length=21 * 1024 * 1024)
    status, _, _ = raw_http(port, head)
    assert status == 413


def test_without_a_backend_sdks_get_a_fast_503_with_retry_after(tmp_path):
    if not Path(NGINX).exists():
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    port = free_port()
    conf = render(free_port(), port, tmp_path)  # nothing listens upstream
    proc = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"])
    try:
        wait_for_port(port, proc)
        status, headers, answer, seconds = request(port, "POST", "/api/1/envelope/", b"{}")
        assert seconds < 1
    finally:
        proc.terminate()
        proc.wait(10)
    assert status == 503, answer
    assert headers["Retry-After"] == "2"
    assert headers["X-Sentry-Rate-Limits"] == "2::organization"
    assert answer == b'{"detail":"server overloaded, try again later"}'
