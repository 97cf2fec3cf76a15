"""Stacked Content-Encodings are bounded, and a key in the envelope header is checked first."""

import gzip
import io
import logging
import zlib

import orjson
import pytest

from ingest.models import IntakeEvent
from projects.services import create_project
from tests.conftest import sentry_auth_header
from tests.ingest_factories import event_body, event_envelope

ENVELOPE = "application/x-sentry-envelope"
MAX_ENCODINGS = 3  # as documented in docs/architecture.md ("Ingest")


@pytest.fixture
def project(db, fresh_ingest_state):
    return create_project("Layers")


def layered(body: bytes, layers: int) -> bytes:
    for _ in range(layers):
        body = gzip.compress(body, compresslevel=1)
    return body


def post(client, project, body: bytes, **headers):
    return client.post(f"/api/{project.pk}/envelope/", data=body, content_type=ENVELOPE, **headers)


def test_up_to_the_maximum_of_stacked_encodings_is_accepted(client, project):
    body = layered(event_envelope(event_body()), MAX_ENCODINGS)
    coding = ", ".join(["gzip"] * MAX_ENCODINGS)
    response = post(
        client, project, body, HTTP_CONTENT_ENCODING=coding, **sentry_auth_header(project)
    )
    assert response.status_code == 200, response.content
    assert IntakeEvent.objects.count() == 1


@pytest.mark.parametrize("layers", [MAX_ENCODINGS + 1, 1200])
def test_more_stacked_encodings_are_refused_cleanly(client, project, caplog, layers):
    body = layered(event_envelope(event_body()), min(layers, 5))
    coding = ", ".join(["gzip"] * layers)
    with caplog.at_level(logging.INFO):
        response = post(
            client, project, body, HTTP_CONTENT_ENCODING=coding, **sentry_auth_header(project)
        )
    assert response.status_code == 400
    assert "Content-Encoding" in response.json()["detail"]
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not IntakeEvent.objects.exists()


def test_unknown_and_identity_codings_do_not_count_as_layers(client, project):
    coding = ", ".join(["identity"] * 50 + ["gzip"])
    response = post(
        client, project, gzip.compress(event_envelope(event_body())),
        HTTP_CONTENT_ENCODING=coding, **sentry_auth_header(project),
    )  # fmt: skip
    assert response.status_code == 200, response.content


class CountingStream(io.RawIOBase):
    """wsgi.input that records how much of the body the server read."""

    def __init__(self, data: bytes) -> None:
        self.data, self.read_bytes = data, 0

    def read(self, size: int = -1) -> bytes:
        size = len(self.data) - self.read_bytes if size < 0 else size
        out = self.data[self.read_bytes : self.read_bytes + size]
        self.read_bytes += len(out)
        return out


def bomb_after(first_line: bytes, mib: int) -> bytes:
    """gzip of the envelope header line, an event item header, then `mib` MiB of zeros."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [c.compress(first_line + b'\n{"type":"event"}\n')]
    zeros = b"\0" * (1 << 20)
    out += [c.compress(zeros) for _ in range(mib)]
    return b"".join(out) + c.flush()


@pytest.mark.parametrize("key", ["0" * 32, "unknown", None])
def test_a_key_only_in_the_envelope_header_is_checked_before_the_rest_is_read(rf, project, key):
    from ingest import views

    header = {"dsn": f"http://{key}@example.com/{project.pk}"} if key else {}
    body = bomb_after(orjson.dumps(header), mib=100)
    assert len(body) > 90_000  # ~100 KB of gzip for 100 MiB of zeros
    stream = CountingStream(body)
    request = rf.post(
        f"/api/{project.pk}/envelope/", data=b"", content_type=ENVELOPE,
        HTTP_CONTENT_ENCODING="gzip",
    )  # fmt: skip
    request.environ["wsgi.input"] = stream
    request.META["CONTENT_LENGTH"] = str(len(body))
    response = views.serve(request, project.pk, "envelope")
    assert response.status_code == 401
    # One read of the raw body, at most, and never to its end.
    assert stream.read_bytes <= 64 * 1024 < len(body)
