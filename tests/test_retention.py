from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from digest.batch import digest_batch
from events.models import Event
from events.retention import enforce_retention
from issues.models import Issue
from projects.models import Project
from tests.digest_factories import intake, python_error

pytestmark = pytest.mark.django_db


def test_retention_keeps_the_newest_events_up_to_the_limit(project):
    Project.objects.filter(pk=project.pk).update(retention_max_events=3)
    rows = [intake(project, python_error()) for _ in range(5)]
    digest_batch()
    assert enforce_retention() == 2
    kept = set(Event.objects.values_list("event_id", flat=True))
    assert kept == {r.event_id for r in rows[2:]}
    assert Issue.objects.get().event_count == 5


def test_retention_deletes_events_older_than_max_days(project):
    Project.objects.filter(pk=project.pk).update(retention_max_days=7)
    for _ in range(3):
        intake(project, python_error())
    digest_batch()
    old = Event.objects.order_by("id")[:2].values_list("id", flat=True)
    Event.objects.filter(id__in=list(old)).update(received_at=timezone.now() - timedelta(days=8))
    call_command("retention")
    assert Event.objects.count() == 1
    assert Issue.objects.get().event_count == 3


def test_retention_leaves_other_projects_alone(project):
    other = Project.objects.create(name="Other", slug="other", retention_max_events=1)
    for p in (project, other, other):
        intake(p, python_error())
    digest_batch()
    enforce_retention()
    assert Event.objects.filter(project=project).count() == 1
    assert Event.objects.filter(project=other).count() == 1


def test_a_repeated_pass_skips_the_count_check_until_an_event_arrives(project):
    Project.objects.filter(pk=project.pk).update(retention_max_events=2)
    for _ in range(3):
        intake(project, python_error())
    digest_batch()
    checked: dict = {}
    assert enforce_retention(checked=checked) == 1
    with CaptureQueriesContext(connection) as first:
        assert enforce_retention(checked=checked) == 0
    assert not any("OFFSET" in q["sql"] for q in first.captured_queries)
    intake(project, python_error())
    digest_batch()
    assert enforce_retention(checked=checked) == 1  # a new event: counted again
    assert Event.objects.count() == 2


def test_a_lowered_limit_applies_on_the_next_pass(project):
    for _ in range(3):
        intake(project, python_error())
    digest_batch()
    checked: dict = {}
    assert enforce_retention(checked=checked) == 0
    Project.objects.filter(pk=project.pk).update(retention_max_events=1)
    assert enforce_retention(checked=checked) == 2
