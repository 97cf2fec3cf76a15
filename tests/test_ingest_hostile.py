"""Hostile input: always a 4xx with a JSON detail, never a 500, never a half-written row."""

import gzip
import random
import uuid
from urllib.parse import urlsplit

import orjson
import pytest

from ingest.models import ClientReport, IntakeEvent
from projects.services import create_project
from tests.conftest import sentry_auth_header
from tests.ingest_factories import client_report, envelope, event_body, event_envelope
from tests.live import chunked, raw_http

ENVELOPE = "application/x-sentry-envelope"
RNG = random.Random(20261126)
RANDOM_BODIES = [RNG.randbytes(n) for n in (1, 2, 17, 100, 1000, 65_537, 300_000)]


def assert_refused(response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    # A specific reason, not the catch-all that would mean a bug turned into a 400.
    assert response.json()["detail"] not in ("", "could not process request")
    assert response["X-Sentry-Error"]


@pytest.fixture
def project(db, fresh_ingest_state):
    return create_project("Hostile")


@pytest.fixture
def send(client, project):
    def send(body: bytes, endpoint: str = "envelope", **headers):
        headers = {**sentry_auth_header(project), **headers}
        return client.post(
            f"/api/{project.pk}/{endpoint}/", data=body, content_type=ENVELOPE, **headers
        )

    yield send
    assert not IntakeEvent.objects.exists(), "a refused request left a row behind"


@pytest.mark.parametrize("endpoint", ["envelope", "store"])
@pytest.mark.parametrize("coding", ["", "gzip", "deflate", "br", "zstd"])
@pytest.mark.parametrize("body", RANDOM_BODIES, ids=[f"{len(b)}B" for b in RANDOM_BODIES])
def test_random_bytes_are_refused(send, body, endpoint, coding):
    assert_refused(send(body, endpoint, HTTP_CONTENT_ENCODING=coding))


EVENT = orjson.dumps(event_body())
BAD_ENVELOPES = {
    "item longer than its length says": b'{}\n{"type":"event","length":5}\n' + EVENT,
    "item shorter than its length says": b'{}\n{"type":"event","length":99999}\n' + EVENT,
    "length is a string": b'{}\n{"type":"event","length":"12"}\n' + EVENT,
    "length is a float": b'{}\n{"type":"event","length":1.5}\n' + EVENT,
    "length is negative": b'{}\n{"type":"event","length":-3}\n' + EVENT,
    "event is invalid JSON": b'{}\n{"type":"event"}\n{"message": "unterminated\n',
    "event is a list": b'{}\n{"type":"event"}\n[1, 2, 3]\n',
    "event is a string": b'{}\n{"type":"event"}\n"just a string"\n',
    "event is null": b'{}\n{"type":"event"}\nnull\n',
    "event is empty": b'{}\n{"type":"event","length":0}\n\n',
    "event has invalid UTF-8": b'{}\n{"type":"event"}\n{"message": "\xff\xfe\xfd"}\n',
    "header has invalid UTF-8": b'{"event_id": "\xc3\x28"}\n{"type":"event"}\n{}\n',
    "header is not an object": b'"hello"\n{"type":"event"}\n{}\n',
    "item header is not JSON": b"{}\nthis is no header\n{}\n",
    "item header has no type": b'{}\n{"length":2}\n{}\n',
    "item type is not a string": b'{}\n{"type":7}\n{}\n',
    "header event_id is not a uuid": b'{"event_id":"../../etc/passwd"}\n{"type":"event"}\n{}\n',
    "event_id is a number": b'{}\n{"type":"event"}\n{"event_id": 12345}\n',
    "two events in one envelope": b'{}\n{"type":"event"}\n{}\n{"type":"event"}\n{}\n',
    "deeply nested event": b'{}\n{"type":"event"}\n' + b'{"a":' * 5000 + b"1" + b"}" * 5000,
    "valid event then garbage": b'{}\n{"type":"event","length":%d}\n%s\n\x00\x01garbage\n'
    % (len(EVENT), EVENT),
    "only whitespace": b"   \n\n",
    "empty body": b"",
}


@pytest.mark.parametrize("body", BAD_ENVELOPES.values(), ids=BAD_ENVELOPES.keys())
def test_malformed_envelopes_are_refused(send, body):
    assert_refused(send(body))


@pytest.mark.parametrize(
    "body",
    [b"", b"null", b"[]", b"{", b'{"message": "\xff"}', b"\x78\x9c garbage", b"!!!not base64"],
)
def test_malformed_store_bodies_are_refused(send, body):
    assert_refused(send(body, "store"))


BAD_KEYS = [
    "",
    "x",
    "' OR 1=1 --",
    "a" * 31 + "\x00",
    "é" * 32,
    "0" * 10_000,
    uuid.uuid4().hex,  # well formed, but nobody's
]


@pytest.mark.parametrize("key", BAD_KEYS, ids=range(len(BAD_KEYS)))
@pytest.mark.parametrize("where", ["HTTP_X_SENTRY_AUTH", "HTTP_AUTHORIZATION", "query", "dsn"])
def test_bad_keys_are_refused_wherever_they_come_from(client, project, key, where):
    body = event_envelope(event_body())
    path = f"/api/{project.pk}/envelope/"
    headers = {}
    if where == "query":
        path += "?" + "sentry_key=" + key
    elif where == "dsn":
        header = orjson.dumps({"dsn": f"http://{key}@example.com/{project.pk}"})
        body = header + body[body.index(b"\n") :]
    else:
        headers[where] = f"Sentry sentry_key={key}, sentry_version=7"
    response = client.post(path, data=body, content_type=ENVELOPE, **headers)
    assert response.status_code in (401, 403)
    assert response.json()["detail"]
    assert not IntakeEvent.objects.exists()


def test_a_huge_auth_header_is_refused(send):
    assert_refused(
        send(event_envelope(event_body()), HTTP_X_SENTRY_AUTH="Sentry " + "k=v," * 50_000)
    )


def test_a_non_numeric_content_length_is_refused(send):
    assert_refused(send(event_envelope(event_body()), CONTENT_LENGTH="twelve"))


def test_a_gzip_body_that_lies_about_its_coding_is_refused(send):
    assert_refused(send(event_envelope(event_body()), HTTP_CONTENT_ENCODING="gzip"))


def test_a_truncated_gzip_envelope_is_refused(send):
    body = gzip.compress(event_envelope(event_body()))
    assert_refused(send(body[: len(body) // 2], HTTP_CONTENT_ENCODING="gzip"))


def test_a_refused_envelope_writes_no_client_report_either(send):
    body = envelope(client_report(("queue_overflow", "error", 5))) + b'{"type":"event"}\n[]\n'
    assert_refused(send(body))
    assert not ClientReport.objects.exists()


def test_garbage_client_reports_are_ignored_not_refused(client, project):
    weird = (
        b'{"discarded_events": [{"reason": "a\\u0000b", "category": "error", "quantity": 2},'
        b' {"reason": "r", "category": "error", "quantity": -4}]}'
    )
    for payload in (
        b"[]",
        b"nope",
        b'{"discarded_events": 5}',
        b'{"discarded_events": [1]}',
        weird,
    ):
        body = envelope(({"type": "client_report"}, payload))
        response = client.post(
            f"/api/{project.pk}/envelope/",
            data=body,
            content_type=ENVELOPE,
            **sentry_auth_header(project),
        )
        assert response.status_code == 200
    assert list(ClientReport.objects.values_list("reason", "quantity")) == [("ab", 2)]


# Against the real gunicorn: things the test client cannot even express.


@pytest.fixture
def live(live_server_url, transactional_db):
    project = create_project("Hostile live")
    port = urlsplit(live_server_url).port
    key = project.keys.get().public_key
    yield project, port, key
    # The server is still healthy afterwards, and nothing half-written was left.
    body = event_envelope(event_body())
    head = (
        f"POST /api/{project.pk}/envelope/ HTTP/1.1\r\nHost: x\r\n"
        f"X-Sentry-Auth: Sentry sentry_key={key}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    assert raw_http(port, head + body)[0] == 200
    assert IntakeEvent.objects.count() == 1


def _head(project, key, *lines: str) -> bytes:
    return (
        "\r\n".join(
            [
                f"POST /api/{project.pk}/envelope/ HTTP/1.1",
                "Host: 127.0.0.1",
                f"X-Sentry-Auth: Sentry sentry_key={key}",
                *lines,
            ]
        )
        + "\r\n\r\n"
    ).encode()


@pytest.mark.live
def test_live_huge_headers_are_refused(live):
    project, port, key = live
    status, _, _ = raw_http(
        port, _head(project, key, "X-Junk: " + "j" * 200_000, "Content-Length: 0")
    )
    assert 400 <= status < 500


@pytest.mark.live
def test_live_a_body_shorter_than_its_content_length_is_refused(live):
    project, port, key = live
    body = event_envelope(event_body())
    status, _, answer = raw_http(
        port, _head(project, key, f"Content-Length: {len(body) + 500}") + body
    )
    assert status == 400, answer
    assert orjson.loads(answer)["detail"]


@pytest.mark.live
def test_live_broken_chunked_framing_is_refused(live):
    project, port, key = live
    head = _head(project, key, "Transfer-Encoding: chunked")
    status, _, _ = raw_http(port, head + b"zz\r\nnot a chunk\r\n0\r\n\r\n")
    assert 400 <= status < 500


@pytest.mark.live
def test_live_a_chunked_body_cut_short_is_refused(live):
    project, port, key = live
    body = event_envelope(event_body())
    framed = b"".join(chunked([body]))
    status, _, _ = raw_http(port, _head(project, key, "Transfer-Encoding: chunked") + framed[:-20])
    assert 400 <= status < 500


@pytest.mark.live
def test_live_random_bytes_instead_of_http_are_refused(live):
    _, port, _ = live
    status, _, _ = raw_http(port, RNG.randbytes(3000).replace(b"\r\n", b"xx") + b"\r\n\r\n")
    assert 400 <= status < 500
