"""The ingest endpoints through Django's test client: answers, storage, limits, CORS."""

import base64
import gzip
import time
import uuid
import zlib

import brotli
import orjson
import pytest
import zstandard
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ingest import ratelimit
from ingest.models import ClientReport, IntakeEvent, RateCounter
from projects.models import ProjectKey
from projects.services import create_project
from tests.conftest import sentry_auth_header
from tests.ingest_factories import client_report, envelope, event_body, event_envelope

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_ingest_state")]


@pytest.fixture
def pinned_clock(monkeypatch) -> float:
    """Ingest's clock stands still, so a test's requests share one rate-limit minute; half a
    second before a minute turns, where a real clock would often straddle it."""
    now = time.time() // 60 * 60 + 59.5
    monkeypatch.setattr(ratelimit.limiter, "clock", lambda: now)
    return now


@pytest.fixture
def project(db):
    """A bare project with one key: ingest needs no users (and hashing passwords is slow)."""
    return create_project("Backend")


ENVELOPE = "application/x-sentry-envelope"


def post(client, project, body: bytes, endpoint="envelope", path=None, **headers):
    headers = {**sentry_auth_header(project), **headers}
    url = path or f"/api/{project.pk}/{endpoint}/"
    return client.post(
        url, data=body, content_type=headers.pop("content_type", ENVELOPE), **headers
    )


def test_an_envelope_event_is_queued_and_its_id_returned(client, project):
    event = event_body()
    response = post(client, project, event_envelope(event))
    assert response.status_code == 200
    assert response.json() == {"id": event["event_id"]}
    row = IntakeEvent.objects.get()
    assert (row.project_id, row.event_id) == (project.pk, event["event_id"])
    assert orjson.loads(row.event_json()) == event
    assert row.request_id


def test_the_legacy_store_endpoint_queues_the_body(client, project):
    event = event_body()
    response = post(client, project, orjson.dumps(event), endpoint="store")
    assert response.json() == {"id": event["event_id"]}
    assert orjson.loads(IntakeEvent.objects.get().event_json()) == event


@pytest.mark.parametrize(
    "path",
    ["/api/{id}/envelope/", "/api//{id}//envelope", "/sentry/prefix//api/{id}/envelope/"],
)
def test_duplicate_slashes_and_a_path_prefix_are_tolerated(client, project, path):
    response = post(client, project, event_envelope(event_body()), path=path.format(id=project.pk))
    assert response.status_code == 200
    assert IntakeEvent.objects.count() == 1


@pytest.mark.parametrize("content_type", ["text/plain", "application/json", "", "bogus/x"])
def test_any_content_type_is_accepted(client, project, content_type):
    response = post(client, project, event_envelope(event_body()), content_type=content_type)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "coding,compress",
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("br", brotli.compress),
        ("zstd", lambda b: zstandard.ZstdCompressor().compress(b)),
        ("", lambda b: b),
        ("identity", lambda b: b),
        ("something-odd", lambda b: b),
    ],
)
def test_content_encodings_are_undone(client, project, coding, compress):
    event = event_body()
    response = post(client, project, compress(event_envelope(event)), HTTP_CONTENT_ENCODING=coding)
    assert response.status_code == 200, response.content
    assert orjson.loads(IntakeEvent.objects.get().event_json()) == event


@pytest.mark.parametrize(
    "wrap",
    [
        lambda b: base64.b64encode(b),
        lambda b: zlib.compress(b),
        lambda b: base64.b64encode(zlib.compress(b)),
    ],
    ids=["base64", "zlib", "base64-zlib"],
)
def test_old_sdk_store_bodies_in_base64_and_zlib_are_accepted(client, project, wrap):
    event = event_body()
    response = post(client, project, wrap(orjson.dumps(event)), endpoint="store")
    assert response.status_code == 200, response.content
    assert orjson.loads(IntakeEvent.objects.get().event_json()) == event


@pytest.mark.parametrize(
    "headers",
    [
        lambda key: {"HTTP_X_SENTRY_AUTH": f"Sentry sentry_key={key}, sentry_version=7"},
        lambda key: {"HTTP_AUTHORIZATION": f"Sentry sentry_key={key},sentry_version=7"},
    ],
    ids=["x-sentry-auth", "authorization"],
)
def test_the_key_may_come_from_either_auth_header(client, project, headers):
    key = project.keys.get().public_key
    response = client.post(
        f"/api/{project.pk}/envelope/",
        data=event_envelope(event_body()),
        content_type=ENVELOPE,
        **headers(key),
    )
    assert response.status_code == 200


def test_the_key_may_come_from_the_query_string(client, project):
    key = project.keys.get().public_key
    response = client.post(
        f"/api/{project.pk}/envelope/?sentry_key={key}&sentry_version=7",
        data=event_envelope(event_body()),
        content_type="text/plain;charset=UTF-8",
    )
    assert response.status_code == 200


def test_the_key_may_come_from_the_envelope_header_dsn(client, project):
    dsn = project.keys.get().dsn()
    event = event_body()
    body = event_envelope(event, header={"event_id": event["event_id"], "dsn": dsn})
    response = client.post(f"/api/{project.pk}/envelope/", data=body, content_type=ENVELOPE)
    assert response.status_code == 200


def test_a_request_without_any_key_gets_401(client, project):
    response = client.post(
        f"/api/{project.pk}/envelope/", data=event_envelope(event_body()), content_type=ENVELOPE
    )
    assert response.status_code == 401
    assert "detail" in response.json()
    assert response["X-Sentry-Error"]
    assert not IntakeEvent.objects.exists()


def test_a_wrong_key_gets_401(client, project):
    response = client.post(
        f"/api/{project.pk}/envelope/",
        data=event_envelope(event_body()),
        content_type=ENVELOPE,
        HTTP_X_SENTRY_AUTH=f"Sentry sentry_key={uuid.uuid4().hex}",
    )
    assert response.status_code == 401
    assert response.json()["detail"] == "unknown sentry_key"


def test_a_revoked_key_gets_403(client, project):
    headers = sentry_auth_header(project)
    key = ProjectKey.objects.get(project=project)
    key.is_active = False
    key.save()  # in this process the cache is dropped at once; others wait out the TTL
    response = client.post(
        f"/api/{project.pk}/envelope/", data=b"{}\n", content_type=ENVELOPE, **headers
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "sentry_key is revoked"


def test_a_key_of_another_project_gets_403(client, project):
    other = create_project("Other")
    response = post(
        client, other, event_envelope(event_body()), path=f"/api/{project.pk}/envelope/"
    )
    assert response.status_code == 403
    assert not IntakeEvent.objects.exists()


def test_an_envelope_without_an_event_answers_an_empty_object(client, project):
    body = envelope(({"type": "session"}, b'{"sid": "x"}'))
    response = post(client, project, body)
    assert response.status_code == 200
    assert response.json() == {}
    assert not IntakeEvent.objects.exists()


def test_transactions_and_attachments_are_accepted_and_dropped(client, project):
    body = envelope(
        ({"type": "transaction"}, orjson.dumps({"type": "transaction", "spans": []})),
        ({"type": "attachment", "filename": "a.bin"}, b"\x00\xff" * 1000),
    )
    response = post(client, project, body)
    assert response.json() == {}
    assert not IntakeEvent.objects.exists()


def test_client_reports_are_counted_per_project_day_reason_and_category(client, project):
    report = client_report(("queue_overflow", "error", 3), ("ratelimit_backoff", "error", 2))
    post(client, project, envelope(report))
    post(client, project, envelope(client_report(("queue_overflow", "error", 4))))
    counts = {
        (r.reason, r.category): r.quantity
        for r in ClientReport.objects.filter(project_id=project.pk)
    }
    assert counts == {("queue_overflow", "error"): 7, ("ratelimit_backoff", "error"): 2}


def test_an_event_and_a_client_report_are_written_in_one_transaction(client, project):
    headers = sentry_auth_header(project)
    post(client, project, b"{}\n")  # warms the key cache
    body = envelope(
        ({"type": "event"}, orjson.dumps(event_body())), client_report(("x", "error", 1))
    )
    url = f"/api/{project.pk}/envelope/"
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, data=body, content_type=ENVELOPE, **headers)
    assert response.status_code == 200
    sql = [q["sql"].upper() for q in queries.captured_queries]
    # Under pytest's wrapping transaction, atomic() shows up as exactly one savepoint.
    assert sum(s.startswith("SAVEPOINT") for s in sql) == 1
    assert not any("PROJECTS_PROJECTKEY" in s for s in sql), "key lookup was not cached"


def test_the_envelope_header_event_id_wins_and_dashes_are_removed(client, project):
    event = event_body(event_id=uuid.uuid4().hex)
    header_id = uuid.uuid4()
    response = post(client, project, event_envelope(event, header={"event_id": str(header_id)}))
    assert response.json() == {"id": header_id.hex}
    assert IntakeEvent.objects.get().event_id == header_id.hex


def test_an_uppercase_event_id_is_stored_in_lowercase(client, project):
    event_id = uuid.uuid4().hex
    response = post(client, project, event_envelope(event_body(event_id=event_id.upper())))
    assert response.json() == {"id": event_id}
    assert IntakeEvent.objects.get().event_id == event_id


@pytest.mark.parametrize(
    "bad_id",
    ["5ec2c82c95d1-4a63-8d79-a68099c14a32-", "5ec2c82c95d14a638d79a68099c14a32\n", "{12345}"],
    ids=["dashes in the wrong places", "trailing newline", "not hex"],
)
def test_a_malformed_event_id_is_refused_not_replaced(client, project, bad_id):
    response = post(client, project, event_envelope(event_body(event_id=bad_id)))
    assert response.status_code == 400
    assert "event_id is not a uuid" in response.json()["detail"]
    assert not IntakeEvent.objects.exists()


def test_an_event_without_any_id_gets_a_new_one(client, project):
    event = event_body()
    del event["event_id"]
    response = post(client, project, event_envelope(event, header={}))
    event_id = response.json()["id"]
    assert len(event_id) == 32 and IntakeEvent.objects.get().event_id == event_id


def test_resending_the_same_event_id_queues_it_once(client, project):
    body = event_envelope(event_body())
    assert post(client, project, body).status_code == 200
    assert post(client, project, body).status_code == 200
    assert IntakeEvent.objects.count() == 1


def test_over_the_compressed_limit_gets_413(client, project, settings):
    settings.INGEST_MAX_COMPRESSED_BYTES = 1000
    response = post(client, project, event_envelope(event_body(extra={"x": "y" * 2000})))
    assert response.status_code == 413
    assert "detail" in response.json()


def test_over_the_envelope_limit_after_decompression_gets_413(client, project, settings):
    settings.INGEST_MAX_ENVELOPE_BYTES = 10_000
    body = envelope(({"type": "attachment"}, b"\0" * 50_000))
    response = post(client, project, gzip.compress(body), HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 413


@pytest.mark.parametrize("with_length", [True, False])
def test_an_event_over_the_event_limit_gets_413(client, project, settings, with_length):
    settings.INGEST_MAX_EVENT_BYTES = 5_000
    body = event_envelope(event_body(extra={"x": "y" * 6000}), with_length=with_length)
    response = post(client, project, body)
    assert response.status_code == 413
    assert not IntakeEvent.objects.exists()


def test_a_store_event_over_the_event_limit_gets_413(client, project, settings):
    settings.INGEST_MAX_EVENT_BYTES = 5_000
    body = gzip.compress(orjson.dumps(event_body(extra={"x": "y" * 6000})))
    response = post(client, project, body, endpoint="store", HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 413


def test_past_the_project_rate_limit_gets_429_with_sentry_headers(client, project, pinned_clock):
    project.rate_limit_per_minute = 2
    project.save()
    responses = [post(client, project, event_envelope(event_body())) for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 429, 429]
    retry_after = int(responses[-1]["Retry-After"])
    assert 1 <= retry_after <= 60
    assert responses[-1]["X-Sentry-Rate-Limits"] == f"{retry_after}:error:project"
    assert "detail" in responses[-1].json()
    assert IntakeEvent.objects.count() == 2


def test_client_reports_still_get_through_while_rate_limited(client, project, pinned_clock):
    project.rate_limit_per_minute = 1
    project.save()
    post(client, project, event_envelope(event_body()))
    assert post(client, project, event_envelope(event_body())).status_code == 429
    response = post(client, project, envelope(client_report(("ratelimit_backoff", "error", 1))))
    assert response.status_code == 200
    assert ClientReport.objects.get().reason == "ratelimit_backoff"


def test_the_rate_limit_is_counted_in_the_database(client, project, pinned_clock):
    project.rate_limit_per_minute = 3  # near the limit every event is written through
    project.save()
    for _ in range(3):
        post(client, project, event_envelope(event_body()))
    assert (
        sum(RateCounter.objects.filter(project_id=project.pk).values_list("events", flat=True)) == 3
    )


def test_a_full_intake_queue_gets_429_for_the_organization(client, project, settings):
    settings.INGEST_MAX_QUEUE_DEPTH = 2
    assert post(client, project, event_envelope(event_body())).status_code == 200
    assert post(client, project, event_envelope(event_body())).status_code == 200
    response = post(client, project, event_envelope(event_body()))
    assert response.status_code == 429
    assert response["X-Sentry-Rate-Limits"] == f"{response['Retry-After']}:error:organization"
    assert IntakeEvent.objects.count() == 2


def test_cors_preflight_is_answered(client, project):
    response = client.options(
        f"/api/{project.pk}/envelope/",
        HTTP_ORIGIN="https://app.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type,x-sentry-auth",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "x-sentry-auth" in response["Access-Control-Allow-Headers"]


def test_cors_exposes_the_back_off_headers_on_every_answer(client, project):
    for response in (
        post(client, project, event_envelope(event_body())),
        post(client, project, b"not json\n"),
    ):
        exposed = response["Access-Control-Expose-Headers"]
        for name in ("X-Sentry-Rate-Limits", "X-Sentry-Error", "Retry-After"):
            assert name in exposed


def test_get_is_not_allowed_but_still_answers_json(client, project):
    response = client.get(f"/api/{project.pk}/envelope/")
    assert response.status_code == 405
    assert "detail" in response.json()


def test_ingest_sets_no_cookies_and_needs_no_csrf(project):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = post(client, project, event_envelope(event_body()))
    assert response.status_code == 200
    assert not response.cookies


def test_lone_surrogates_from_browser_sdks_are_repaired_not_refused(client, project):
    payload = b'{"event_id": "%s", "message": "cut \\ud83d"}' % uuid.uuid4().hex.encode()
    response = post(client, project, envelope(({"type": "event"}, payload)))
    assert response.status_code == 200
    stored = orjson.loads(IntakeEvent.objects.get().event_json())
    assert stored["message"].startswith("cut ")


def test_the_queued_row_carries_the_request_id_of_the_access_log(client, project):
    post(client, project, event_envelope(event_body()), HTTP_X_REQUEST_ID="req-1234abcd")
    assert IntakeEvent.objects.get().request_id == "req-1234abcd"


@pytest.mark.django_db(transaction=True)
def test_a_database_connection_killed_under_ingest_is_replaced_and_the_event_queued(
    client, project
):
    if connection.vendor != "postgresql":
        pytest.skip("needs a server-side connection to terminate (PostgreSQL)")
    import psycopg

    headers = sentry_auth_header(project)
    url = f"/api/{project.pk}/envelope/"
    client.post(url, event_envelope(event_body()), content_type=ENVELOPE, **headers)
    backend_pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:  # as if the database restarted
        other.execute("SELECT pg_terminate_backend(%s)", [backend_pid])
    event = event_body()
    response = client.post(url, event_envelope(event), content_type=ENVELOPE, **headers)
    assert response.status_code == 200
    assert IntakeEvent.objects.filter(event_id=event["event_id"]).exists()


def test_a_plain_event_costs_one_statement_and_no_transaction(client, project):
    headers = sentry_auth_header(project)
    url = f"/api/{project.pk}/envelope/"
    client.post(url, event_envelope(event_body()), content_type=ENVELOPE, **headers)  # warm
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, event_envelope(event_body()), content_type=ENVELOPE, **headers)
    assert response.status_code == 200
    assert [q["sql"].split()[0] for q in queries] == ["INSERT"], [q["sql"] for q in queries]


def test_a_zlib_store_body_ending_in_a_whitespace_byte_is_not_truncated(client, project):
    # Compressed bytes are arbitrary: about 1 body in 40 ends in \t, \n, \r, \x0b, \x0c or
    # a space. Find such a body deterministically; stripping it as text broke the stream.
    for n in range(2000):
        event = {**event_body(), "extra": {"n": n}}
        body = zlib.compress(orjson.dumps(event))
        if body[-1:].isspace():
            break
    else:
        pytest.fail("no zlib body ending in whitespace found")
    response = post(client, project, body, endpoint="store")
    assert response.status_code == 200, response.content
    assert orjson.loads(IntakeEvent.objects.get().event_json()) == event
