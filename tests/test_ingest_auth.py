"""Where the DSN key comes from, and the cached key lookup."""

import threading
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


class Clock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The process's key cache, replaced by one on a clock the test moves."""
    clock = Clock()
    monkeypatch.setattr(auth, "keys", auth.KeyCache(timer=clock))
    return clock


def test_a_key_revoked_elsewhere_stops_working_once_the_ttl_passes(project, settings, clock):
    settings.INGEST_KEY_CACHE_SECONDS = 5
    key = project.keys.get().public_key
    auth.authenticate(key, project.pk)
    # .update() fires no signals, as when another process revokes the key.
    ProjectKey.objects.filter(public_key=key).update(is_active=False)
    clock.now += 4.9
    auth.authenticate(key, project.pk)  # still cached
    clock.now += 0.1
    with pytest.raises(Forbidden, match="revoked"):
        auth.authenticate(key, project.pk)


def test_unknown_keys_are_cached_too(project, clock):
    unknown = uuid.uuid4().hex
    with pytest.raises(Unauthorized):
        auth.authenticate(unknown, project.pk)
    with CaptureQueriesContext(connection) as queries, pytest.raises(Unauthorized):
        auth.authenticate(unknown, project.pk)
    assert not queries.captured_queries


def test_a_save_in_this_process_takes_effect_at_once(project):
    key = project.keys.get()
    auth.authenticate(key.public_key, project.pk)
    key.is_active = False
    key.save()
    with pytest.raises(Forbidden, match="revoked"):
        auth.authenticate(key.public_key, project.pk)


def test_the_project_rate_limit_override_comes_with_the_key(project):
    project.rate_limit_per_minute = 7
    project.save()
    assert auth.authenticate(project.keys.get().public_key, project.pk).rate_limit_per_minute == 7


def test_the_cache_of_unknown_keys_cannot_grow_without_bound(project, monkeypatch):
    cache = auth.KeyCache(maxsize=5)
    monkeypatch.setattr(auth, "keys", cache)
    for _ in range(12):
        with pytest.raises(Unauthorized):
            auth.authenticate(uuid.uuid4().hex, project.pk)
    assert len(cache) == 5


@pytest.mark.django_db(transaction=True)
def test_a_lookup_that_raced_with_a_save_does_not_cache_what_it_read(fresh_ingest_state):
    # Thread A reads the key, then a save in this process clears the cache before A stores
    # what it read: the old row must not come back from the cache for a TTL.
    project = create_project("Race")
    key = project.keys.get()
    read, release = threading.Event(), threading.Event()

    def read_then_wait(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if ProjectKey._meta.db_table in sql:
            read.set()
            release.wait(10)
        return result

    def lookup() -> None:
        with connection.execute_wrapper(read_then_wait):
            auth.authenticate(key.public_key, project.pk)
        connection.close()

    thread = threading.Thread(target=lookup)
    thread.start()
    assert read.wait(10)
    key.is_active = False
    key.save()  # clears the cache while thread A holds the active row
    release.set()
    thread.join(10)
    with pytest.raises(Forbidden, match="revoked"):
        auth.authenticate(key.public_key, project.pk)
