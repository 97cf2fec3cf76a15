"""Every payload (tests/fixtures/events, and ../shared/corpus when present) is accepted by
store and as an envelope; the KNOWN-BROKEN ones get a clear 4xx or are repaired, never a 500."""

import orjson
import pytest

from ingest.models import IntakeEvent
from projects.services import create_project
from tests.conftest import sentry_auth_header
from tests.ingest_factories import envelope
from tests.payloads import Payload, all_payloads, fixture_payloads

PAYLOADS = all_payloads()

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_ingest_state")]


def test_the_fixtures_are_found_and_list_their_deliberately_broken_files():
    assert len(fixture_payloads()) > 60
    broken = [p.name for p in fixture_payloads() if p.broken]
    assert "broken/not-json.json" in broken and "broken/lone-surrogate.json" in broken


@pytest.fixture
def project(db):
    return create_project("Corpus")


def check(response, payload: Payload) -> None:
    if payload.broken:
        assert response.status_code == 200 or 400 <= response.status_code < 500
        assert response.json() is not None
    else:
        assert response.status_code == 200, response.content
        event_id = response.json()["id"]
        row = IntakeEvent.objects.get(event_id=event_id)
        assert orjson.loads(row.event_json()) == orjson.loads(payload.raw())


def test_broken_payloads_are_refused_or_repaired(client, project):
    """What each deliberately invalid fixture gets from the store endpoint."""
    expected = {
        "broken/not-json.json": 400,
        "broken/array.json": 400,
        "broken/string.json": 400,
        "broken/event-id-not-uuid.json": 400,
        "broken/lone-surrogate.json": 200,  # repaired: "?" for each lone surrogate
        "broken/nan-and-infinity.json": 200,  # repaired: null
    }
    got = {}
    for p in fixture_payloads():
        if p.broken:
            response = client.post(
                f"/api/{project.pk}/store/", data=p.raw(), content_type="application/json",
                **sentry_auth_header(project),
            )  # fmt: skip
            got[p.name] = response.status_code
    assert got == expected
    repaired = orjson.loads(IntakeEvent.objects.get(event_id="0f1a2b3c4d5e46f7a8b9c0d1e2f3a410")
                            .event_json())  # fmt: skip
    assert repaired["tags"] == {"emoji": "?"}


@pytest.mark.parametrize("payload", PAYLOADS, ids=str)
def test_a_payload_is_accepted_by_the_store_endpoint(client, project, payload):
    response = client.post(
        f"/api/{project.pk}/store/",
        data=payload.raw(),
        content_type="application/json",
        **sentry_auth_header(project),
    )
    check(response, payload)


@pytest.mark.parametrize("payload", PAYLOADS, ids=str)
def test_a_payload_is_accepted_wrapped_in_an_envelope(client, project, payload):
    body = envelope(({"type": "event"}, payload.raw()))
    response = client.post(
        f"/api/{project.pk}/envelope/",
        data=body,
        content_type="application/x-sentry-envelope",
        **sentry_auth_header(project),
    )
    check(response, payload)
