"""The real sentry-sdk against a live gunicorn: what it sends lands in the intake queue."""

import logging

import orjson
import pytest
import sentry_sdk
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.transport import HttpTransport

from ingest.models import ClientReport, IntakeEvent
from projects.models import Project
from projects.services import create_project
from tests.conftest import dsn_for
from tests.live import in_one_minute

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


class RecordingTransport(HttpTransport):
    """The SDK's own HTTP transport, noting each request's encoding and answer."""

    sent: list[tuple[str | None, int]] = []

    def _send_request(self, body, headers, endpoint_type, envelope=None):
        self._encoding = headers.get("Content-Encoding")
        return super()._send_request(body, headers, endpoint_type, envelope)

    def _handle_response(self, response, envelope):
        RecordingTransport.sent.append((self._encoding, response.status))
        return super()._handle_response(response=response, envelope=envelope)


@pytest.fixture
def sdk(live_server_url):
    """Init the SDK for a fresh project; always leave the global SDK state disabled."""
    RecordingTransport.sent = []

    def init(algo: str, **options):
        project = create_project("SDK")
        sentry_sdk.init(
            dsn=dsn_for(project, live_server_url),
            transport=RecordingTransport,
            _experiments={"transport_compression_algo": algo},
            default_integrations=False,
            auto_enabling_integrations=False,
            integrations=[LoggingIntegration(level=None, event_level=logging.ERROR)],
            release="sdk-test@1.0",
            environment="test",
            **options,
        )
        return project

    yield init
    sentry_sdk.flush(timeout=5)
    sentry_sdk.init(dsn=None)


def payloads(project) -> list[dict]:
    rows = IntakeEvent.objects.filter(project_id=project.pk).order_by("id")
    return [orjson.loads(row.event_json()) | {"_queued_id": row.event_id} for row in rows]


def fail() -> None:
    raise ValueError("the answer is not 42")


@pytest.mark.parametrize("algo", ["br", "gzip"])
def test_exceptions_messages_and_log_records_reach_the_queue(sdk, algo):
    project = sdk(algo)
    try:
        fail()
    except ValueError:
        exc_id = sentry_sdk.capture_exception()
    msg_id = sentry_sdk.capture_message("hello from the sdk", level="warning")
    logging.getLogger("tests.sdk").error("order %s could not be shipped", 1234)
    sentry_sdk.flush(timeout=10)

    events = payloads(project)
    assert [e["_queued_id"] for e in events][:2] == [exc_id, msg_id]
    assert len(events) == 3
    exc, msg, log = events
    value = exc["exception"]["values"][-1]
    assert (value["type"], value["value"]) == ("ValueError", "the answer is not 42")
    assert value["stacktrace"]["frames"][-1]["function"] == "fail"
    assert exc["release"] == "sdk-test@1.0" and exc["environment"] == "test"
    assert (msg["message"], msg["level"]) == ("hello from the sdk", "warning")
    assert log["logentry"]["message"] == "order %s could not be shipped"
    assert log["logentry"]["params"] == [1234]
    assert log["logger"] == "tests.sdk" and log["level"] == "error"
    assert RecordingTransport.sent and all(s == (algo, 200) for s in RecordingTransport.sent)


def test_the_sdk_without_compression_is_accepted_too(sdk):
    project = sdk("none")  # an unknown algo makes the SDK send plain bodies
    event_id = sentry_sdk.capture_message("plain body")
    sentry_sdk.flush(timeout=10)
    assert [e["_queued_id"] for e in payloads(project)] == [event_id]
    assert RecordingTransport.sent == [(None, 200)]


def test_a_key_of_another_project_gets_refused_and_nothing_is_queued(sdk, live_server_url):
    project = sdk("gzip")
    other_key = create_project("Other").keys.get().public_key
    host = live_server_url.split("://")[1]
    sentry_sdk.init(
        dsn=f"http://{other_key}@{host}/{project.pk}",
        transport=RecordingTransport,
        default_integrations=False,
        auto_enabling_integrations=False,
    )
    sentry_sdk.capture_message("nobody will see this")
    sentry_sdk.flush(timeout=10)
    assert RecordingTransport.sent[-1][1] == 403
    assert not IntakeEvent.objects.exists()


def test_the_sdk_backs_off_on_429_and_its_client_report_is_counted(sdk):
    def attempt() -> tuple[Project, list[int]]:
        RecordingTransport.sent = []
        project = sdk("gzip")  # a fresh project and SDK client (no back-off remembered)
        Project.objects.filter(pk=project.pk).update(rate_limit_per_minute=1)
        sentry_sdk.capture_message("accepted")
        sentry_sdk.flush(timeout=10)
        sentry_sdk.capture_message("refused with 429")
        sentry_sdk.flush(timeout=10)
        sentry_sdk.capture_message("dropped by the SDK itself while backing off")
        sentry_sdk.flush(timeout=10)  # also sends the SDK's pending client report
        return project, [status for _, status in RecordingTransport.sent]

    project, statuses = in_one_minute(attempt)
    assert statuses[:2] == [200, 429]
    assert IntakeEvent.objects.filter(project_id=project.pk).count() == 1
    reports = dict(
        ClientReport.objects.filter(project_id=project.pk, category="error").values_list(
            "reason", "quantity"
        )
    )
    assert reports.get("ratelimit_backoff", 0) >= 1, reports
