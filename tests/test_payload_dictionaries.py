"""Per-project zstd dictionaries: trained by the worker, named in every frame, read by all."""

import os
import signal
import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest
import zstandard
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from events import dictionaries, payload
from events.models import Event, PayloadDictionary
from ingest.models import IntakeEvent
from tests.api_factories import auth, token_for
from tests.digest_factories import python_error

pytestmark = pytest.mark.django_db

PLAIN = zstandard.ZstdCompressor(level=payload.LEVEL)


def queue(project, count: int, label: str, **extra) -> list[str]:
    """`count` intake rows of a few Python errors, each with a value naming it; their ids."""
    now = datetime.now(UTC)
    rows = [
        IntakeEvent(
            project_id=project.pk,
            event_id=uuid.uuid4().hex,
            received_at=now,
            payload=orjson.dumps(
                python_error(
                    type_=f"Error{n % 4}", value=f"{label} {n}", tags={"n": str(n)}, **extra
                )
            ),
        )
        for n in range(count)
    ]
    IntakeEvent.objects.bulk_create(rows)
    return [r.event_id for r in rows]


def run_worker(*args: str) -> None:
    """The worker command in-process (so it sees this test's transaction), handlers restored."""
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        call_command("worker", "--once", "--retention-every", "0", *args)
    finally:
        for s, handler in handlers.items():
            signal.signal(s, handler)


def stored(event_id: str) -> Event:
    return Event.objects.get(event_id=event_id)


def test_the_worker_trains_a_dictionary_and_later_events_use_it(project):
    before = queue(project, dictionaries.MIN_EVENTS, "before")
    after = queue(project, 100, "after")
    # Batches of 100: the dictionary is trained after the second, the third uses it.
    run_worker("--batch-size", "100")
    dictionary = PayloadDictionary.objects.get(project=project)
    assert dictionary.samples >= dictionaries.MIN_EVENTS * 0.8
    assert 0 < dictionary.ratio < 0.1
    old, new = stored(before[0]), stored(after[0])
    assert payload.dict_id_of(old.payload) == 0
    assert payload.dict_id_of(new.payload) == dictionary.dict_id
    # Fails if the dictionary is not really used: plain zstd needs several times the bytes.
    plain = len(PLAIN.compress(orjson.dumps(payload.decode(new.payload))))
    assert len(new.payload) * 3 < plain
    assert payload.decode(new.payload)["exception"]["values"][0]["value"] == "after 0"


def test_events_from_before_and_after_the_dictionary_show_on_the_issue_page_and_api(
    client, project, owner
):
    before = queue(project, dictionaries.MIN_EVENTS, "before")
    after = queue(project, 100, "after")
    run_worker("--batch-size", "100")
    payload.forget()  # a fresh process: the dictionary is loaded from the table
    client.force_login(owner)
    token = token_for(owner)
    for event_id, value in ((before[-1], "before 199"), (after[-1], "after 99")):
        event = stored(event_id)
        url = reverse("issues:detail", args=[project.slug, event.issue_id])
        page = client.get(url, {"event": event_id})
        assert page.status_code == 200
        assert value in page.content.decode()
        api = client.get(
            f"/api/0/projects/bugtrack/{project.slug}/events/{event_id}/", headers=auth(token)
        )
        assert api.status_code == 200
        assert api.json()["metadata"]["value"] == value


def test_a_project_below_the_threshold_gets_no_dictionary(project):
    queue(project, dictionaries.MIN_EVENTS - 1, "few")
    run_worker()
    assert not PayloadDictionary.objects.exists()


def test_a_payload_naming_a_missing_dictionary_fails_clearly(project):
    queue(project, dictionaries.MIN_EVENTS, "x")
    run_worker()
    dictionary = PayloadDictionary.objects.get(project=project)
    blob = payload.encode({"message": "hello"}, project.pk)
    assert payload.dict_id_of(blob) == dictionary.dict_id
    dictionary.delete()
    payload.forget()
    with pytest.raises(payload.UnknownDictionary, match=str(dictionary.dict_id)):
        payload.decode(blob)


def test_a_dictionary_that_compresses_poorly_is_replaced_once_it_is_a_day_old(project, monkeypatch):
    queue(project, dictionaries.MIN_EVENTS, "first")
    run_worker()
    first = PayloadDictionary.objects.get(project=project)
    monkeypatch.setattr(dictionaries, "RETRAIN_WINDOW", 50)
    # Traffic changes: the same errors now carry a random token the dictionary cannot know.
    queue(project, 60, "changed", extra={"token": os.urandom(256).hex()})
    run_worker()
    assert PayloadDictionary.objects.count() == 1  # compresses poorly, but it is too young
    PayloadDictionary.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - timedelta(days=2)
    )
    queue(project, 60, "changed", extra={"token": os.urandom(256).hex()})
    run_worker()
    newest = PayloadDictionary.objects.latest("id")
    assert newest.pk != first.pk
    assert payload.dict_id_of(Event.objects.latest("id").payload) == first.dict_id
    payload.encode(python_error(), project.pk)
    assert payload.take_usage()[project.pk].dict_id == newest.dict_id


def test_a_replaced_dictionary_is_deleted_once_no_event_can_name_it(project):
    queue(project, dictionaries.MIN_EVENTS, "x")
    run_worker()
    old = PayloadDictionary.objects.get(project=project)
    new = dictionaries.train(project.pk, replacing=old.dict_id)
    assert dictionaries.retire() == 0  # the newer one is too young to be sure
    PayloadDictionary.objects.filter(pk=new.pk).update(
        created_at=timezone.now() - timedelta(days=3)
    )
    # Events received while the old one was in use (before the new one + a day) remain.
    Event.objects.update(received_at=timezone.now() - timedelta(days=5))
    assert dictionaries.retire() == 0
    Event.objects.update(received_at=timezone.now())  # as if retention had removed them
    assert dictionaries.retire() == 1
    assert list(PayloadDictionary.objects.values_list("pk", flat=True)) == [new.pk]


def test_a_failing_maintenance_is_logged_and_paused_not_raised(project, monkeypatch, caplog):
    queue(project, dictionaries.MIN_EVENTS, "x")

    calls = []

    def broken(*args, **kwargs):
        calls.append(args)
        raise RuntimeError("boom")

    monkeypatch.setattr(dictionaries, "train", broken)
    run_worker()  # the digest still drains the queue
    assert Event.objects.count() == dictionaries.MIN_EVENTS
    assert "maintenance failed" in caplog.text
    payload.encode(python_error(), project.pk)
    assert dictionaries.maintain() == 0
    assert len(calls) == 1  # paused for a minute: not tried again at once


class Clock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_dictionary_trained_by_another_worker_is_used_once_the_ttl_passes(project):
    clock = Clock()
    other = payload.Codec(timer=clock)  # another worker process's codec
    assert payload.dict_id_of(other.encode({"message": "early"}, project.pk)) == 0
    queue(project, dictionaries.MIN_EVENTS, "x")
    run_worker()  # this process trains one
    trained = PayloadDictionary.objects.get(project=project)
    clock.now += payload.CURRENT_TTL - 0.1
    assert payload.dict_id_of(other.encode({"message": "still"}, project.pk)) == 0
    clock.now += 0.1
    blob = other.encode({"message": "now"}, project.pk)
    assert payload.dict_id_of(blob) == trained.dict_id
    assert payload.decode(blob) == {"message": "now"}
    assert other.take_usage()[project.pk].dict_id == trained.dict_id


def test_events_compressed_without_a_dictionary_still_decode():
    blob = payload.encode({"message": "plain"})
    assert payload.dict_id_of(blob) == 0
    assert payload.decode(memoryview(blob)) == {"message": "plain"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL storage setting")
def test_postgresql_never_tries_to_compress_the_compressed_payload():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstorage FROM pg_attribute "
            "WHERE attrelid = 'issues_event'::regclass AND attname = 'payload'"
        )
        assert cursor.fetchone()[0] == "e"  # EXTERNAL: out of line if large, no pglz
