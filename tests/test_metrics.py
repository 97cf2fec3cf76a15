"""/metrics: token protection, Prometheus text that parses, counters and gauges that move."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from alerts.models import Alert, AlertStatus
from core import metrics
from issues.models import Issue
from tests.conftest import dsn_for
from tests.digest_factories import intake
from tests.issue_factories import make_issue
from tests.live import Gunicorn, http, send_with_sentry_sdk

TOKEN = "metrics-test-token"
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def parse(text: str) -> dict[str, float]:
    """Every sample as `name{label="v",...}` -> value."""
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
            samples[f"{s.name}{{{labels}}}" if labels else s.name] = s.value
    return samples


def scrape(client) -> dict[str, float]:
    with override_settings(METRICS_TOKEN=TOKEN):
        response = client.get("/metrics", **AUTH)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return parse(response.content.decode())


@override_settings(METRICS_TOKEN="")
def test_metrics_is_404_when_no_token_is_configured(client, db):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@override_settings(METRICS_TOKEN=TOKEN)
def test_metrics_without_the_right_bearer_token_gets_401(client, db):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=TOKEN).status_code == 401
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}x")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_metrics_parse_and_cover_every_family(client, db):
    samples = scrape(client)
    assert samples["bugtrack_database_up"] == 1
    for name in [
        "bugtrack_events_accepted_total",
        'bugtrack_events_rejected_total{reason="auth"}',
        'bugtrack_events_rejected_total{reason="size"}',
        'bugtrack_events_rejected_total{reason="rate_limit"}',
        'bugtrack_events_rejected_total{reason="malformed"}',
        'bugtrack_events_rejected_total{reason="backpressure"}',
        "bugtrack_intake_queue_depth",
        "bugtrack_intake_queue_oldest_age_seconds",
        "bugtrack_digest_batch_duration_seconds_count",
        "bugtrack_digest_batch_size_count",
        "bugtrack_issues_created_total",
        'bugtrack_alerts_total{outcome="sent"}',
        'bugtrack_alerts_total{outcome="failed"}',
        'bugtrack_alerts_total{outcome="retried"}',
        'bugtrack_alert_outbox{status="pending"}',
    ]:
        assert name in samples, name


def test_counters_move_when_events_are_accepted_or_rejected(client, db):
    before = scrape(client)
    metrics.event_accepted(3)
    metrics.event_rejected("rate_limit")
    metrics.event_rejected("auth", 2)
    after = scrape(client)
    assert after["bugtrack_events_accepted_total"] - before["bugtrack_events_accepted_total"] == 3
    key = 'bugtrack_events_rejected_total{reason="%s"}'
    assert after[key % "rate_limit"] - before[key % "rate_limit"] == 1
    assert after[key % "auth"] - before[key % "auth"] == 2
    assert after[key % "size"] == before[key % "size"]


def test_an_unknown_reject_reason_is_refused():
    with pytest.raises(ValueError):
        metrics.event_rejected("because")


def test_digest_issue_and_alert_hooks_move_their_metrics(client, db):
    before = scrape(client)
    with metrics.time_digest_batch(40):
        pass
    metrics.issues_created(2)
    metrics.alert_sent()
    metrics.alert_retried()
    metrics.alert_failed()
    after = scrape(client)

    def delta(name: str) -> float:
        return after[name] - before[name]

    assert delta("bugtrack_digest_batch_size_count") == 1
    assert delta("bugtrack_digest_batch_size_sum") == 40
    assert delta('bugtrack_digest_batch_size_bucket{le="50.0"}') == 1
    assert delta('bugtrack_digest_batch_size_bucket{le="25.0"}') == 0
    assert delta("bugtrack_issues_created_total") == 2
    for outcome in ("sent", "retried", "failed"):
        assert delta(f'bugtrack_alerts_total{{outcome="{outcome}"}}') == 1


def test_queue_gauges_are_read_from_the_database_at_scrape_time(client, db):
    assert scrape(client)["bugtrack_intake_queue_depth"] == 0
    for age in (10, 600):
        intake(1, received_at=timezone.now() - timedelta(seconds=age))
    samples = scrape(client)
    assert samples["bugtrack_intake_queue_depth"] == 2
    assert 600 <= samples["bugtrack_intake_queue_oldest_age_seconds"] < 660


def test_outbox_gauge_counts_unsent_alerts_by_status(client, project):
    issue = make_issue(project)
    for status in (AlertStatus.PENDING, AlertStatus.PENDING, AlertStatus.FAILED, AlertStatus.SENT):
        Alert.objects.create(
            project=project, issue=issue, kind="new", created_at=timezone.now(), status=status
        )
    samples = scrape(client)
    assert samples['bugtrack_alert_outbox{status="pending"}'] == 2
    assert samples['bugtrack_alert_outbox{status="failed"}'] == 1
    assert samples['bugtrack_alert_outbox{status="held"}'] == 0
    assert not any('status="sent"' in name for name in samples)


def test_request_latency_is_recorded_by_view(client, db):
    client.get("/health/live")
    samples = scrape(client)
    assert (
        samples[
            'bugtrack_request_duration_seconds_count{method="GET",status="200",view="ops:live"}'
        ]
        >= 1
    )


@pytest.fixture(scope="module")
def metrics_server(django_db_setup, django_db_blocker):
    server = Gunicorn(workers=2, METRICS_TOKEN=TOKEN, INGEST_MAX_EVENT_BYTES="4000")
    yield server
    server.stop()


def live_scrape(server: Gunicorn) -> dict[str, float]:
    status, headers, body = http(
        f"{server.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert status == 200
    return parse(body.decode())


@pytest.mark.live
def test_latency_from_every_gunicorn_worker_adds_up_in_one_scrape(transactional_db, metrics_server):
    key = 'bugtrack_request_duration_seconds_count{method="GET",status="200",view="ops:live"}'
    before = live_scrape(metrics_server).get(key, 0)
    for _ in range(20):
        assert http(f"{metrics_server.url}/health/live")[0] == 200
    # Any worker may answer the scrape; it must count what both workers served.
    assert live_scrape(metrics_server)[key] - before == 20
    assert live_scrape(metrics_server)[key] - before == 20


@pytest.mark.live
def test_live_ingest_moves_the_accepted_and_rejected_counters(
    transactional_db, metrics_server, project
):
    url = metrics_server.url
    key = project.keys.first().public_key
    before = live_scrape(metrics_server)

    send_with_sentry_sdk(dsn_for(project, url), "counted")
    envelope = f"{url}/api/{project.pk}/envelope/"
    wrong_key = {"X-Sentry-Auth": "Sentry sentry_key=" + "0" * 32}
    assert http(envelope, "POST", wrong_key, b"{}\n")[0] == 401
    auth = {"X-Sentry-Auth": f"Sentry sentry_key={key}"}
    big = b'{}\n{"type":"event","length":5000}\n' + b"x" * 5000 + b"\n"
    assert http(envelope, "POST", auth, big)[0] == 413
    assert http(envelope, "POST", auth, b'{}\n{"type":"event"}\nnot json\n')[0] == 400

    after = live_scrape(metrics_server)
    reason = 'bugtrack_events_rejected_total{reason="%s"}'
    assert after["bugtrack_events_accepted_total"] - before["bugtrack_events_accepted_total"] == 1
    for name in ("auth", "size", "malformed"):
        assert after[reason % name] - before[reason % name] == 1, name
    assert after[reason % "rate_limit"] == before[reason % "rate_limit"]
    assert after["bugtrack_intake_queue_depth"] == 1  # no worker here: it waits in the queue
    view = (
        'bugtrack_request_duration_seconds_count{method="POST",status="401",view="ingest:envelope"}'
    )
    assert after[view] - before.get(view, 0) == 1


def test_a_real_digest_batch_records_its_size_and_the_issues_it_created(
    client, transactional_db, project
):  # transactional: new issues are counted on commit
    from digest.batch import digest_batch
    from tests.digest_factories import intake, python_error

    before = scrape(client)
    intake(project, python_error(function="one"))
    intake(project, python_error(function="one"))
    intake(project, python_error(function="two", context_line="other()"))
    assert digest_batch() == 3
    after = scrape(client)
    assert (
        after["bugtrack_digest_batch_size_count"] - before["bugtrack_digest_batch_size_count"] == 1
    )
    assert after["bugtrack_digest_batch_size_sum"] - before["bugtrack_digest_batch_size_sum"] == 3
    created = after["bugtrack_issues_created_total"] - before["bugtrack_issues_created_total"]
    assert created == Issue.objects.filter(project=project).count() == 2


def test_a_real_sender_step_counts_sent_and_retried_deliveries(client, project, smtp_server):
    from alerts.sender import send_due_alerts
    from tests.alert_factories import new_issue_with_alert

    before = scrape(client)
    new_issue_with_alert(project, title="ValueError: counted")
    assert send_due_alerts().sent == 2  # owner and member
    smtp_server.stop()  # SMTP goes away: the next alert's deliveries are retried later
    new_issue_with_alert(project, title="ValueError: retried")
    assert send_due_alerts().retried == 2
    after = scrape(client)
    alerts = 'bugtrack_alerts_total{outcome="%s"}'
    assert after[alerts % "sent"] - before[alerts % "sent"] == 2
    assert after[alerts % "retried"] - before[alerts % "retried"] == 2
    assert after['bugtrack_alert_outbox{status="sending"}'] == 1


def test_static_files_and_unknown_paths_get_bounded_view_labels(client, db):
    client.get("/static/css/app.css")
    client.get("/no/such/path/")
    samples = scrape(client)
    assert any('view="static"' in name for name in samples)
    assert any('view="unmatched"' in name for name in samples)
    assert not any("no/such/path" in name for name in samples)


@pytest.mark.live
def test_metrics_still_answer_with_database_up_zero_when_the_database_is_down(transactional_db):
    server = Gunicorn(
        workers=1, METRICS_TOKEN=TOKEN, DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere"
    )
    try:
        samples = live_scrape(server)
    finally:
        server.stop()
    assert samples["bugtrack_database_up"] == 0
    assert "bugtrack_events_accepted_total" in samples
    assert "bugtrack_intake_queue_depth" not in samples
