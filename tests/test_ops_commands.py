"""`manage.py status` and `manage.py prune`."""

import json
from datetime import date, timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from ingest.models import ClientReport
from tests.digest_factories import intake


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_status_reports_queue_depth_lag_and_throughput(db):
    now = timezone.now()
    for age in (5, 90):
        intake(1, received_at=now - timedelta(seconds=age))
    report = json.loads(run("status", "--json"))
    assert report["queue_depth"] == 2
    assert 90 <= report["digest_lag_seconds"] < 120
    assert report["events_last_minute"] == 1  # the 90-second-old one is outside the minute
    assert report["outbox"] == {"pending": 0, "sending": 0, "held": 0, "failed": 0}
    text = run("status")
    assert "2 events waiting" in text and "digest lag" in text


def test_prune_deletes_old_client_reports_and_vacuums(transactional_db):
    today = date.today()
    for day in (today, today - timedelta(days=400)):
        ClientReport.objects.create(
            project_id=1, day=day, reason="queue_overflow", category="error", quantity=3
        )
    out = run("prune", "--client-report-days", "30")
    assert "deleted 1 client report rows" in out
    assert "VACUUM" in out
    assert list(ClientReport.objects.values_list("day", flat=True)) == [today]
