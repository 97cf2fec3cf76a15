"""Liveness and readiness: what /health/ready checks and how it says which check failed."""

import json
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings
from django.utils import timezone

from ingest.models import IntakeEvent
from ops import health
from tests.digest_factories import intake
from tests.live import Gunicorn, http


def queue_event(age: timedelta = timedelta(0)) -> IntakeEvent:
    return intake(1, received_at=timezone.now() - age)


def test_live_answers_without_signing_in(client):
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_is_ok_on_a_migrated_database_with_an_empty_queue(client, db):
    response = client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["queue"] == {"ok": True, "depth": 0, "oldest_age_seconds": 0.0}


def test_ready_fails_with_503_when_the_queue_is_stuck(client, db):
    queue_event(age=timedelta(hours=1))
    response = client.get("/health/ready")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["ok"] and checks["migrations"]["ok"]
    assert checks["queue"]["ok"] is False
    assert checks["queue"]["oldest_age_seconds"] >= 3600
    assert "oldest" in checks["queue"]["error"]


@override_settings(HEALTH_MAX_QUEUE_DEPTH=2)
def test_ready_fails_when_the_queue_is_deeper_than_the_threshold(client, db):
    for _ in range(3):
        queue_event()
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["queue"]["depth"] == 3
    assert "depth" in response.json()["checks"]["queue"]["error"]


def test_a_fresh_queue_under_the_thresholds_is_ready(client, db):
    queue_event(age=timedelta(seconds=5))
    assert client.get("/health/ready").status_code == 200


def test_ready_fails_while_a_migration_is_unapplied(client, db, monkeypatch):
    monkeypatch.setattr(health, "_migrated", set())
    app, name = sorted(MigrationLoader(connection).graph.leaf_nodes())[0]
    MigrationRecorder(connection).record_unapplied(app, name)
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == {"ok": False, "unapplied": 1}


def test_database_check_fails_on_a_broken_connection(db):
    broken = dict(connection.settings_dict)
    if connection.vendor == "sqlite":
        broken["NAME"] = "/nonexistent-dir/bugtrack.sqlite3"
    else:
        broken["PORT"] = 1
    wrapper = type(connections["default"])(broken, alias="default")  # a second, broken connection
    try:
        assert health.check_database(wrapper) == {"ok": False, "error": "OperationalError"}
    finally:
        wrapper.close()
    assert health.check_database(connection) == {"ok": True}


@pytest.mark.live
def test_ready_answers_503_naming_the_database_when_it_is_unreachable(transactional_db):
    server = Gunicorn(workers=1, DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere")
    try:
        assert http(f"{server.url}/health/live")[0] == 200
        status, _, body = http(f"{server.url}/health/ready")
        assert status == 503
        checks = json.loads(body)["checks"]
        assert checks["database"]["ok"] is False
        assert checks["database"]["error"] == "OperationalError"
        assert checks["queue"] == {"ok": False, "error": "skipped"}
    finally:
        server.stop()
