"""Self-monitoring: our own reports are marked, and failures on them are never re-sent."""

import json
import time

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from core import selfmonitor
from ingest.middleware import IngestShortcutMiddleware
from ingest.models import IntakeEvent
from projects.services import create_project
from tests.conftest import dsn_for
from tests.live import LoggedGunicorn, free_port, send_with_sentry_sdk

OWN_DSN = "http://ownkey123@bugtrack.example/7"
EVENT = {"exception": {"values": [{"type": "OperationalError"}]}}


def envelope_request(**headers: str):
    return RequestFactory().post("/api/7/envelope/", data=b"{}\n", content_type="x", **headers)


def test_reports_are_sent_outside_any_guard():
    assert selfmonitor.before_send(dict(EVENT), {}) == EVENT


def test_reports_raised_inside_a_suppressed_block_are_dropped():
    with selfmonitor.suppressed():
        assert selfmonitor.before_send(dict(EVENT), {}) is None
        with selfmonitor.suppressed(False):  # an inner "not ours" can't lift the guard
            assert selfmonitor.before_send(dict(EVENT), {}) is None
    assert selfmonitor.before_send(dict(EVENT), {}) == EVENT


@override_settings(SENTRY_DSN=OWN_DSN)
def test_requests_with_our_own_key_are_recognised_as_self_reports():
    own = "Sentry sentry_version=7, sentry_key=ownkey123, sentry_client=sentry.python/2"
    other = own.replace("ownkey123", "someoneelse")
    assert selfmonitor.is_self_report(envelope_request(HTTP_X_SENTRY_AUTH=own))
    assert not selfmonitor.is_self_report(envelope_request(HTTP_X_SENTRY_AUTH=other))
    store = RequestFactory().post(
        "/api/7/store/?sentry_key=ownkey123", data=b"{}", content_type="x"
    )
    assert selfmonitor.is_self_report(store)
    assert not selfmonitor.is_self_report(envelope_request())


def test_the_marker_header_from_any_bugtrack_is_a_self_report():
    # Two instances reporting to each other must not ping-pong either.
    assert selfmonitor.is_self_report(envelope_request(HTTP_X_BUGTRACK_SELF_REPORT="1"))


@override_settings(SENTRY_DSN="")
def test_nothing_is_a_self_report_by_key_when_self_monitoring_is_off():
    own = "Sentry sentry_key=ownkey123"
    assert not selfmonitor.is_self_report(envelope_request(HTTP_X_SENTRY_AUTH=own))


def test_our_transport_marks_every_report():
    transport_class = selfmonitor._transport_class()
    assert transport_class is not None, "sentry-sdk dropped _update_headers; only key check left"
    transport = transport_class({"dsn": OWN_DSN, **_transport_options()})
    headers: dict[str, str] = {}
    transport._update_headers(headers)
    assert headers[selfmonitor.SELF_HEADER] == "1"
    assert headers["X-Sentry-Auth"].find("ownkey123") > 0


def _transport_options() -> dict:
    from sentry_sdk.consts import DEFAULT_OPTIONS

    return {k: v for k, v in DEFAULT_OPTIONS.items() if k != "dsn"}


@pytest.mark.parametrize(
    ("headers", "reported"),
    [({}, True), ({"HTTP_X_BUGTRACK_SELF_REPORT": "1"}, False)],
    ids=["foreign-sdk", "own-sdk"],
)
def test_the_ingest_shortcut_guards_only_our_own_reports(monkeypatch, headers, reported):
    seen: list[bool] = []

    def failing_ingest(request, project_id, endpoint):
        # What the SDK's Django integration would do with an error raised here.
        seen.append(selfmonitor.before_send(dict(EVENT), {}) is not None)
        return HttpResponse(status=500)

    monkeypatch.setattr("ingest.views.ingest", failing_ingest)
    middleware = IngestShortcutMiddleware(lambda r: HttpResponse())
    middleware(envelope_request(**headers))
    assert seen == [reported]
    assert selfmonitor.before_send(dict(EVENT), {}) == EVENT  # the guard ends with the request


def ingest_lines(server: LoggedGunicorn) -> list[dict]:
    records = [json.loads(line) for line in server.stdout_lines()]
    return [r for r in records if str(r.get("view", "")).startswith("ingest:")]


@pytest.mark.live
def test_a_failing_ingest_reports_a_foreign_event_once_and_never_its_own_report(
    transactional_db, project, owner, tmp_path
):
    port = free_port()
    own_dsn = dsn_for(project, f"http://127.0.0.1:{port}")  # monitoring itself
    other = create_project("Other", admins=[owner])
    server = LoggedGunicorn(tmp_path, port=port, SENTRY_DSN=own_dsn, LOG_FORMAT="json")
    table = IntakeEvent._meta.db_table
    try:
        with connection.cursor() as cursor:  # every ingest now fails with a DatabaseError
            cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
        send_with_sentry_sdk(dsn_for(other, server.url), "foreign event")
        own_path = f"/api/{project.pk}/envelope/"
        deadline = time.monotonic() + 15
        while own_path not in {r["path"] for r in ingest_lines(server)}:
            assert time.monotonic() < deadline, "the foreign failure was never reported"
            time.sleep(0.2)
        time.sleep(4)  # time enough for a loop to show itself
        lines = ingest_lines(server)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table}_away RENAME TO {table}")
        server.stop()
    # Events got 503; an SDK's later client report (its count of the dropped events) writes
    # no intake row, so it may get a 200.
    statuses = {r["status"] for r in lines}
    assert 503 in statuses and statuses <= {200, 503}, lines
    own = [r for r in lines if r["path"] == own_path]
    foreign = [r for r in lines if r["path"] == f"/api/{other.pk}/envelope/"]
    # The outage was reported to ourselves (once per gunicorn process: core/outage.py logs
    # later failures as warnings, which are not reported); those reports failed too, and
    # their failures were not reported again.
    assert 1 <= len(own) <= len(foreign), lines
