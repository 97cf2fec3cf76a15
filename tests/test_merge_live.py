"""Merging while a live worker digests events of the merged issues."""

import subprocess
import sys
import time

import pytest
from django.db import transaction

from digest.batch import digest_batch
from events.models import Event
from ingest.models import IntakeEvent
from issues.merge import merge
from issues.models import Issue, IssueBucket, IssueTagValue
from tests.digest_factories import intake, python_error
from tests.live import ROOT, process_env
from tests.test_worker import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def feed(project, n: int) -> None:
    for i in range(n):
        intake(project, python_error(type_=("AError", "BError", "CError")[i % 3]))


def test_a_merge_while_the_worker_writes_to_those_issues_loses_no_count(project, owner, tmp_path):
    feed(project, 3)
    digest_batch()
    ids = list(Issue.objects.order_by("pk").values_list("pk", flat=True))
    assert len(ids) == 3
    # Small batches: the merge meets batches holding the issues' locks, and batches wait on it.
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "worker", "--batch-size", "5"],
        cwd=ROOT,
        env=process_env("http://127.0.0.1:8000"),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        feed(project, 120)
        wait_until(lambda: Event.objects.count() >= 40)
        with transaction.atomic():  # hold the merge's locks a while: batches wait on them
            parent = merge(project.pk, ids, owner)
            time.sleep(1)
        feed(project, 60)
        wait_until(lambda: not IntakeEvent.objects.exists() and Event.objects.count() == 183)
        assert worker.poll() is None
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()
    # Batches that waited for the merge found the children gone and went to the parent,
    # without falling back to one event at a time.
    assert "digest batch failed" not in (tmp_path / "worker.log").read_text()
    assert list(Issue.objects.values_list("pk", flat=True)) == [parent.pk]
    parent.refresh_from_db()
    assert parent.event_count == 183
    assert Event.objects.filter(issue=parent).count() == 183
    assert sum(IssueBucket.objects.filter(issue=parent).values_list("count", flat=True)) == 183
    assert IssueTagValue.objects.get(issue=parent, key="level", value="error").count == 183
