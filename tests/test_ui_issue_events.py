"""The events tab: an issue's events, newest first, searched with the issue search's syntax."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from digest.batch import digest_batch
from issues.models import Issue
from tests.digest_factories import intake, python_error
from tests.issue_factories import make_event, make_issue
from tests.payloads import fixture

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"


def events_page(client, issue, **params):
    return client.get(reverse("issues:events", args=[issue.project.slug, issue.pk]), params)


@pytest.fixture
def issue(project) -> Issue:
    return make_issue(project, title="PaymentError: card declined")


@pytest.fixture
def digested(project) -> Issue:
    """Three events of one issue, digested: releases, environments, users (bob with an email)
    and a browser."""
    for n, (release, env, user) in enumerate(
        [("1.0", "production", "ann"), ("1.1", "staging", "bob"), ("1.1", "production", "cy")]
    ):
        intake(
            project,
            python_error(
                value=f"bad value {n}", release=release, environment=env,
                user={"id": user, **({"email": "bob@example.com"} if n == 1 else {})},
                request={"headers": {"User-Agent": FIREFOX}} if n == 2 else {},
                timestamp=(timezone.now() - timedelta(minutes=10 - n)).timestamp(),
            ),
        )  # fmt: skip
    assert digest_batch() == 3
    return Issue.objects.get(project=project)


def ids_shown(body: str, issue: Issue) -> list[str]:
    ids = [e.event_id for e in issue.events.order_by("-received_at", "-id")]
    return [i for i in ids if f"?event={i}#event" in body]


def test_the_events_tab_lists_time_id_release_environment_user_and_message(client, owner, digested):
    client.force_login(owner)
    page = events_page(client, digested).content.decode()
    assert 'aria-current="page">Events</a>' in page
    body = page[page.index('<table class="events">') :]
    for expected in ["1.0", "1.1", "production", "staging", "ann", "bob", "cy"]:
        assert expected in body, expected
    assert "ValueError: bad value 2" in body  # the message of an exception event
    assert len(ids_shown(body, digested)) == 3
    assert body.index("bad value 2") < body.index("bad value 1") < body.index("bad value 0")


def test_a_message_event_shows_its_message(client, owner, project):
    intake(project, fixture("python/log-message-params.json"))
    assert digest_batch() == 1
    issue = Issue.objects.get(project=project)
    client.force_login(owner)
    body = events_page(client, issue).content.decode()
    assert issue.title.split(" ")[0] in body


@pytest.mark.parametrize(
    "query, users",
    [
        ("release:1.1", {"bob", "cy"}),
        ("!environment:production", {"bob"}),
        ("user:ann", {"ann"}),
        ("!user:ann release:1.1", {"bob", "cy"}),
        ('browser:"Firefox 120"', {"cy"}),  # a tag the digest derived from the User-Agent
        ('!browser:"Firefox 120"', {"ann", "bob"}),  # events without the tag are kept
        ("level:error", {"ann", "bob", "cy"}),
        ("user.email:bob@example.com", {"bob"}),  # the digest tagged it beside the id
        ("!user.email:bob@example.com", {"ann", "cy"}),
        ("user.id:cy", {"cy"}),
        ("!user.id:cy", {"ann", "bob"}),
    ],
)
def test_the_events_tab_filters_with_the_search_syntax(client, owner, digested, query, users):
    client.force_login(owner)
    body = events_page(client, digested, query=query).content.decode()
    shown = {u for u in ("ann", "bob", "cy") if f"<td>{u}</td>" in body}
    assert shown == users


def test_an_event_id_finds_that_event(client, owner, digested):
    event = digested.events.order_by("id").first()
    client.force_login(owner)
    body = events_page(client, digested, query=event.event_id.upper()).content.decode()
    assert ids_shown(body, digested) == [event.event_id]


@pytest.mark.parametrize(
    "query, message",
    [
        ("is:resolved", "Events have no status"),
        ("some words", "not by text"),
        ("level:loud", "Unknown level"),
        ("times_seen:>1", "times_seen: searches issues only"),
        ("age:-24h", "age: searches issues only"),
        ("lastSeen:-1h", "lastSeen: searches issues only"),
        ("firstRelease:1.0", "firstRelease: searches issues only"),
        ("assigned:me", "assigned: searches issues only"),
        ("is:unassigned", "is: searches issues only"),
        ("times_seen:>abc", "needs a whole number"),
    ],
)
def test_a_search_the_events_tab_cannot_run_says_why(client, owner, digested, query, message):
    client.force_login(owner)
    response = events_page(client, digested, query=query)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in body and message in body and 'aria-invalid="true"' in body
    assert ids_shown(body, digested) == []


def test_the_events_tab_pages_by_fifty(client, owner, issue):
    now = timezone.now()
    for n in range(51):
        make_event(issue, received_at=now - timedelta(seconds=n), event_id=f"{n:032x}")
    client.force_login(owner)
    first = events_page(client, issue).content.decode()
    assert f"?event={0:032x}#event" in first and f"?event={50:032x}#event" not in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = events_page(client, issue, page=2).content.decode()
    assert f"?event={50:032x}#event" in second and 'rel="next"' not in second
    assert 'rel="prev"' in second


def test_the_events_tab_query_count_does_not_grow_with_rows(client, owner, issue):
    make_event(issue)
    client.force_login(owner)
    events_page(client, issue)
    with CaptureQueriesContext(connection) as one:
        assert events_page(client, issue, query="!release:x").status_code == 200
    for _ in range(30):
        make_event(issue)
    with CaptureQueriesContext(connection) as many:
        assert events_page(client, issue, query="!release:x").status_code == 200
    assert len(many) == len(one)
