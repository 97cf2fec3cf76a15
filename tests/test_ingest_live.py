"""Ingest under a real gunicorn: chunked bodies, raw paths, bombs, keys, limits."""

import gzip
import time
from urllib.parse import urlsplit

import orjson
import pytest

from ingest.models import IntakeEvent
from projects.models import Project, ProjectKey
from projects.services import create_project
from tests.digest_factories import intake
from tests.ingest_bombs import MiB, gzip_zeros
from tests.ingest_factories import event_body, event_envelope
from tests.live import Gunicorn, chunked, in_one_minute, peak_rss_kib, raw_http, worker_pids

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def port_of(url: str) -> int:
    return urlsplit(url).port


def post_head(path: str, key: str, *extra: str, length: int | None = None) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        "Host: 127.0.0.1",
        f"X-Sentry-Auth: Sentry sentry_key={key}, sentry_version=7",
        "Content-Type: application/x-sentry-envelope",
        *extra,
        f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def key_of(project) -> str:
    return project.keys.get().public_key


@pytest.fixture(scope="module")
def small_server(django_db_setup, django_db_blocker):
    """One worker (so its memory can be measured) and a 1 s key cache."""
    server = Gunicorn(workers=1, INGEST_KEY_CACHE_SECONDS="1")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def full_queue_server(django_db_setup, django_db_blocker):
    server = Gunicorn(workers=1, INGEST_MAX_QUEUE_DEPTH="3")
    yield server
    server.stop()


def test_a_chunked_body_without_content_length_is_read_whole(live_server_url):
    project = create_project("Chunked")
    event = event_body(extra={"pad": "x" * 200_000})  # many chunks
    body = event_envelope(event)
    pieces = [body[i : i + 1000] for i in range(0, len(body), 1000)]
    status, headers, answer = raw_http(
        port_of(live_server_url),
        post_head(f"/api/{project.pk}/envelope/", key_of(project)),
        chunked(pieces),
    )
    assert status == 200, answer
    assert orjson.loads(answer) == {"id": event["event_id"]}
    assert orjson.loads(IntakeEvent.objects.get().event_json()) == event


def test_a_chunked_gzip_body_like_sentry_node_sends_is_accepted(live_server_url):
    project = create_project("Node")
    event = event_body(platform="node")
    body = gzip.compress(event_envelope(event))
    status, _, answer = raw_http(
        port_of(live_server_url),
        post_head(f"/api/{project.pk}/envelope/", key_of(project), "Content-Encoding: gzip"),
        chunked([body[:10], body[10:]]),
    )
    assert status == 200, answer
    assert IntakeEvent.objects.get().event_id == event["event_id"]


@pytest.mark.parametrize(
    "path",
    ["//api//{id}//envelope//", "/api/{id}/envelope", "/sentry/relay//api/{id}/store/"],
)
def test_raw_paths_with_duplicate_slashes_and_prefixes_reach_ingest(live_server_url, path):
    project = create_project("Paths")
    event = event_body()
    body = orjson.dumps(event) if path.endswith("store/") else event_envelope(event)
    status, _, answer = raw_http(
        port_of(live_server_url),
        post_head(path.format(id=project.pk), key_of(project), length=len(body)) + body,
    )
    assert status == 200, answer
    assert orjson.loads(answer) == {"id": event["event_id"]}


def test_a_gzip_bomb_is_cut_off_at_the_envelope_limit_with_bounded_memory(small_server):
    project = create_project("Bomb")
    head = post_head(f"/api/{project.pk}/envelope/", key_of(project), "Content-Encoding: gzip")
    (pid,) = worker_pids(small_server)
    # Warm the worker up with an ordinary request so the baseline includes Django itself.
    body = gzip.compress(event_envelope(event_body()))
    assert raw_http(small_server.port, head, chunked([body]))[0] == 200
    before = peak_rss_kib(pid)
    # A valid envelope whose attachment claims 10 GiB of zeros: only the 100 MiB
    # decompressed-envelope limit can stop it.
    prefix = b'{}\n{"type":"attachment","length":%d}\n' % (10 * 1024 * MiB)
    started = time.monotonic()
    status, headers, answer = raw_http(
        small_server.port, head, chunked(gzip_zeros(10 * 1024 * MiB, prefix=prefix))
    )
    elapsed = time.monotonic() - started
    after = peak_rss_kib(pid)
    print(f"\ngzip bomb: {status} after {elapsed:.2f}s, worker peak RSS {before} -> {after} KiB")
    assert status == 413
    assert "detail" in orjson.loads(answer)
    assert after - before < 40 * 1024, "decompressing the bomb held too much memory"
    assert IntakeEvent.objects.count() == 1  # only the warm-up event


def poll_until(status: int, port: int, project, timeout: float = 15) -> None:
    """Post an envelope without items (authenticated and admitted, nothing stored) until the
    server answers `status`: its caches expire on the server's own clock."""
    body = b"{}\n"
    head = post_head(f"/api/{project.pk}/envelope/", key_of(project), length=len(body))
    deadline = time.monotonic() + timeout
    while raw_http(port, head + body)[0] != status:
        assert time.monotonic() < deadline, f"no {status} within {timeout} s"
        time.sleep(0.1)


def test_a_revoked_key_stops_working_within_the_cache_ttl(small_server):
    project = create_project("Revoke")
    key = key_of(project)
    body = event_envelope(event_body())
    head = post_head(f"/api/{project.pk}/envelope/", key, length=len(body))
    assert raw_http(small_server.port, head + body)[0] == 200
    ProjectKey.objects.filter(public_key=key).update(is_active=False)
    poll_until(403, small_server.port, project)  # INGEST_KEY_CACHE_SECONDS=1 on this server
    body = event_envelope(event_body())
    status, headers, answer = raw_http(small_server.port, head + body)
    assert status == 403
    assert orjson.loads(answer)["detail"] == "sentry_key is revoked"
    assert headers["x-sentry-error"]
    assert IntakeEvent.objects.count() == 1


def test_the_project_rate_limit_is_shared_by_all_workers(live_server_url):
    def attempt() -> tuple[Project, list[tuple[int, dict, bytes]]]:
        project = create_project("Limited")
        project.rate_limit_per_minute = 5
        project.save()
        answers = []
        for _ in range(12):
            body = event_envelope(event_body())
            head = post_head(f"/api/{project.pk}/envelope/", key_of(project), length=len(body))
            answers.append(raw_http(port_of(live_server_url), head + body))
        return project, answers

    project, answers = in_one_minute(attempt)
    statuses = [a[0] for a in answers]
    assert statuses.count(200) == 5, statuses  # two workers, one counter
    assert set(statuses[5:]) == {429}
    _, headers, answer = answers[-1]
    retry_after = int(headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert headers["x-sentry-rate-limits"] == f"{retry_after}:error:project"
    assert "Retry-After" in headers["access-control-expose-headers"]
    assert "detail" in orjson.loads(answer)
    assert IntakeEvent.objects.filter(project_id=project.pk).count() == 5


def test_a_full_intake_queue_answers_429_for_the_organization(full_queue_server):
    project = create_project("Backlog")
    for _ in range(3):
        intake(project)
    poll_until(429, full_queue_server.port, project)  # it counts the queue once a second
    body = event_envelope(event_body())
    head = post_head(f"/api/{project.pk}/envelope/", key_of(project), length=len(body))
    status, headers, _ = raw_http(full_queue_server.port, head + body)
    assert status == 429
    assert headers["x-sentry-rate-limits"] == f"{headers['retry-after']}:error:organization"
    assert IntakeEvent.objects.count() == 3
