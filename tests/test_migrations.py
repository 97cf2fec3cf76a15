"""Moving models between apps loses no data: a database at the old schema, with rows in it,
migrates to today's and every row reads back through the new models."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from events.models import Event, PayloadDictionary
from events.payload import decode, encode

OLD_ISSUES = ("issues", "0005_payload_dictionaries_and_event_indexes")
CONTENT_TYPES = ("contenttypes", "0002_remove_content_type_name")


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader


@pytest.mark.django_db(transaction=True)
def test_events_and_dictionaries_survive_the_move_to_the_events_app():
    loader = migrate([OLD_ISSUES, ("events", None)])
    old = loader.project_state([OLD_ISSUES, CONTENT_TYPES]).apps
    try:
        Project = old.get_model("projects", "Project")
        Issue = old.get_model("issues", "Issue")
        OldEvent = old.get_model("issues", "Event")
        OldDictionary = old.get_model("issues", "PayloadDictionary")
        ContentType = old.get_model("contenttypes", "ContentType")
        ContentType.objects.get_or_create(app_label="issues", model="event")
        now = datetime(2026, 11, 30, 12, tzinfo=UTC)
        project = Project.objects.create(name="Old", slug="old")
        issue = Issue.objects.create(
            project=project, short_id=1, grouping_hash="h" * 32, grouping_version="frames-v1",
            title="KeyError: 'x'", first_seen=now, last_seen=now, event_count=2,
        )  # fmt: skip
        for n in range(2):
            OldEvent.objects.create(
                project=project, issue=issue, event_id=f"{n:032x}", timestamp=now,
                received_at=now, payload=encode({"event_id": f"{n:032x}", "n": n}),
            )  # fmt: skip
        OldDictionary.objects.create(
            project=project, dict_id=40000, data=b"dict", created_at=now, samples=200, ratio=0.4
        )
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    events = list(Event.objects.filter(project_id=project.pk).order_by("event_id"))
    assert [e.event_id for e in events] == [f"{0:032x}", f"{1:032x}"]
    assert [decode(bytes(e.payload))["n"] for e in events] == [0, 1]
    assert {e.issue_id for e in events} == {issue.pk}
    assert PayloadDictionary.objects.get(project_id=project.pk).dict_id == 40000
    from django.contrib.contenttypes.models import ContentType as CurrentContentType

    assert CurrentContentType.objects.filter(app_label="events", model="event").exists()
    assert not CurrentContentType.objects.filter(app_label="issues", model="event").exists()
