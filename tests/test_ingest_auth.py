"""Where the DSN key comes from, and the cached key lookup."""

import time
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ingest import auth
from ingest.errors import Forbidden, Unauthorized
from projects.models import ProjectKey
from projects.services import create_project


@pytest.mark.parametrize(
    "header,expected",
    [
        ("Sentry sentry_key=abc, sentry_version=7", {"sentry_key": "abc", "sentry_version": "7"}),
        ("sentry_key=abc,sentry_version=7", {"sentry_key": "abc", "sentry_version": "7"}),
        (
            "Sentry sentry_version=7, sentry_client=raven-python/6.10.0, "
            "sentry_timestamp=1700000000, sentry_key=abc, sentry_secret=s",
            {
                "sentry_version": "7",
                "sentry_client": "raven-python/6.10.0",
                "sentry_timestamp": "1700000000",
                "sentry_key": "abc",
                "sentry_secret": "s",
            },
        ),  # fmt: skip
        ('SENTRY  sentry_key="abc" ', {"sentry_key": "abc"}),
        ("Sentry", {}),
        ("", {}),
        ("garbage without equals", {}),
        ("Sentry sentry_key=a=b", {"sentry_key": "a=b"}),
    ],
)
def test_auth_headers_are_parsed_into_fields(header, expected):
    assert auth.parse_auth_header(header) == expected


@pytest.mark.parametrize(
    "dsn,key",
    [
        ("https://abc@o1.ingest.example.com/42", "abc"),
        ("https://abc:secret@example.com/sub/path/42", "abc"),
        ("https://example.com/42", None),
        ("http://[::1", None),
        (42, None),
        (None, None),
    ],
)
def test_the_key_is_taken_from_an_envelope_dsn(dsn, key):
    assert auth.key_from_dsn(dsn) == key


@pytest.fixture
def project(db, fresh_ingest_state):
    return create_project("Keys")


def test_a_good_key_authenticates_for_its_project(project):
    key = project.keys.get().public_key
    assert auth.authenticate(key, project.pk).project_id == project.pk
    assert auth.authenticate(key.upper(), project.pk).project_id == project.pk


@pytest.mark.parametrize("key", [None, "", "short", "z" * 32, "a" * 33, "a" * 31 + "\x00"])
def test_missing_or_malformed_keys_are_unauthorized_without_a_query(project, key):
    with CaptureQueriesContext(connection) as queries, pytest.raises(Unauthorized):
        auth.authenticate(key, project.pk)
    assert not queries.captured_queries


def test_an_unknown_key_is_unauthorized(project):
    with pytest.raises(Unauthorized, match="unknown"):
        auth.authenticate(uuid.uuid4().hex, project.pk)


def test_a_key_for_another_project_is_forbidden(project):
    with pytest.raises(Forbidden):
        auth.authenticate(project.keys.get().public_key, project.pk + 1)


def test_the_lookup_is_cached_so_repeated_requests_cost_no_query(project):
    key = project.keys.get().public_key
    auth.authenticate(key, project.pk)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(100):
            auth.authenticate(key, project.pk)
    assert not queries.captured_queries


def test_a_key_revoked_elsewhere_stops_working_once_the_ttl_passes(project, settings):
    settings.INGEST_KEY_CACHE_SECONDS = 0.3
    key = project.keys.get().public_key
    auth.authenticate(key, project.pk)
    # .update() fires no signals, as when another process revokes the key.
    ProjectKey.objects.filter(public_key=key).update(is_active=False)
    auth.authenticate(key, project.pk)  # still cached
    time.sleep(0.4)
    with pytest.raises(Forbidden, match="revoked"):
        auth.authenticate(key, project.pk)


def test_the_project_rate_limit_override_comes_with_the_key(project):
    project.rate_limit_per_minute = 7
    project.save()
    assert auth.authenticate(project.keys.get().public_key, project.pk).rate_limit_per_minute == 7


def test_the_cache_of_unknown_keys_cannot_grow_without_bound(project, monkeypatch):
    monkeypatch.setattr(auth, "MAX_CACHED_KEYS", 5)
    for _ in range(12):
        with pytest.raises(Unauthorized):
            auth.authenticate(uuid.uuid4().hex, project.pk)
    assert len(auth._cache) <= 5
