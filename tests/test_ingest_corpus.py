"""Every real SDK payload in ../shared/corpus/ is accepted by store and as an envelope."""

from pathlib import Path

import orjson
import pytest

from bugtrack.corpus import REPO_ROOT, find_corpus
from ingest.models import IntakeEvent
from projects.services import create_project
from tests.conftest import sentry_auth_header
from tests.ingest_factories import envelope

CORPUS = find_corpus()
FILES = sorted(CORPUS.rglob("*.json")) if CORPUS else []
KNOWN_BROKEN = (
    {
        line.strip()
        for line in (CORPUS / "KNOWN-BROKEN").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    if CORPUS and (CORPUS / "KNOWN-BROKEN").exists()
    else set()
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("fresh_ingest_state"),
    pytest.mark.skipif(
        CORPUS is None,
        reason=f"no shared/corpus directory beside {REPO_ROOT} or its parents "
        "(set BUGTRACK_CORPUS to point at it)",
    ),
]


def test_the_corpus_is_found_beside_the_repo_and_is_not_empty():
    assert CORPUS is not None and CORPUS.is_dir()
    assert len(FILES) > 100
    assert KNOWN_BROKEN, "KNOWN-BROKEN lists the deliberately invalid payloads"


def name(path: Path) -> str:
    return str(path.relative_to(CORPUS))


@pytest.fixture
def project(db):
    return create_project("Corpus")


def check(response, path: Path) -> None:
    if name(path) in KNOWN_BROKEN:
        assert response.status_code == 200 or 400 <= response.status_code < 500
        assert response.json() is not None
    else:
        assert response.status_code == 200, response.content
        event_id = response.json()["id"]
        row = IntakeEvent.objects.get(event_id=event_id)
        assert orjson.loads(row.event_json()) == orjson.loads(path.read_bytes())


@pytest.mark.parametrize("path", FILES, ids=[name(p) for p in FILES])
def test_a_corpus_payload_is_accepted_by_the_store_endpoint(client, project, path):
    response = client.post(
        f"/api/{project.pk}/store/",
        data=path.read_bytes(),
        content_type="application/json",
        **sentry_auth_header(project),
    )
    check(response, path)


@pytest.mark.parametrize("path", FILES, ids=[name(p) for p in FILES])
def test_a_corpus_payload_is_accepted_wrapped_in_an_envelope(client, project, path):
    body = envelope(({"type": "event"}, path.read_bytes()))
    response = client.post(
        f"/api/{project.pk}/envelope/",
        data=body,
        content_type="application/x-sentry-envelope",
        **sentry_auth_header(project),
    )
    check(response, path)
