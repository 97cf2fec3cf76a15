"""The tags the digest derives per event and counts per issue: fields, user, browser, OS,
device, runtime and URL, from the SDK's contexts or else the request's User-Agent."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from digest import summary, useragent
from digest.batch import digest_batch
from digest.normalize import normalize
from issues.models import Issue, IssueTagValue
from tests.digest_factories import intake, python_error
from tests.payloads import fixture as raw_fixture


def fixture(name: str) -> dict:
    """A fixture as the digest sees it: normalized."""
    return normalize(raw_fixture(name), "0" * 32, datetime.now(UTC))


def tags_of(event: dict) -> dict[str, str]:
    return summary.event_tags(normalize(event, "0" * 32, datetime.now(UTC)))


CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)


def test_a_user_agent_gives_browser_os_and_device():
    assert useragent.parse(CHROME_MAC) == useragent.Agent("Chrome 120", "Mac OS X 10.15", "Mac")
    assert useragent.parse(IPHONE) == useragent.Agent("Mobile Safari 17", "iOS 17.1", "iPhone")


def test_an_unknown_empty_or_huge_user_agent_gives_nothing():
    assert useragent.parse("inventory-client/3.1") == useragent.Agent()
    assert useragent.parse("") == useragent.Agent()
    assert useragent.parse("Mozilla/5.0 " + "x" * 2000) == useragent.Agent()


def test_repeated_user_agents_are_resolved_once():
    useragent.parse(CHROME_MAC)
    resolver = useragent._parser().resolver
    assert resolver.cache[CHROME_MAC] is not None  # ua-parser's cache holds the result


def test_a_browser_sdk_capture_is_tagged_from_its_user_agent():
    tags = summary.event_tags(fixture("browser/message-breadcrumbs.json"))
    assert tags["browser"] == "HeadlessChrome 156"
    assert tags["os"] == "Linux"
    assert tags["url"] == "https://shop.example.com/checkout/shipping"


def test_sdk_contexts_win_over_the_user_agent():
    event = fixture("node/http-request.json")
    tags = summary.event_tags(event)
    assert tags["runtime"].startswith("node ")
    assert tags["os"] == "{name} {version}".format(**event["contexts"]["os"])
    assert tags["url"] == "http://127.0.0.1:8080/cart/total"  # no query string
    assert "browser" not in tags  # inventory-client/3.1 is no browser


def test_mobile_captures_are_tagged_with_their_device_model():
    assert summary.event_tags(fixture("cocoa/swift-bad-access.json"))["device"] == "iPhone15,2"
    assert summary.event_tags(fixture("android/kotlin-crash.json"))["device"] == "Pixel 8"


def test_headers_sent_as_pairs_are_read_too():
    event = python_error(request={"headers": [["Host", "x"], ["user-agent", IPHONE], ["bad"]]})
    assert tags_of(event)["device"] == "iPhone"


def test_a_users_email_is_tagged_too_when_the_user_tag_is_their_id():
    both = tags_of(python_error(user={"id": "42", "email": "ann@example.com"}))
    assert (both["user"], both["user.email"]) == ("42", "ann@example.com")
    email_only = tags_of(python_error(user={"email": "bob@example.com"}))
    assert email_only["user"] == "bob@example.com" and "user.email" not in email_only
    assert "user.email" not in tags_of(python_error(user={"id": "7"}))


def test_sdk_tags_win_over_derived_ones():
    event = python_error(tags={"browser": "Own"}, request={"headers": {"User-Agent": CHROME_MAC}})
    assert tags_of(event)["browser"] == "Own"


@pytest.mark.django_db
def test_message_events_get_the_derived_tags_counted_on_their_issue(project):
    event = raw_fixture("python/log-message-params.json")
    event["request"] = {"url": "https://shop.example/cart?x=1", "headers": {"User-Agent": IPHONE}}
    event["user"] = {"email": "ann@example.com"}
    intake(project, event)
    assert digest_batch() == 1
    issue = Issue.objects.get()
    tags = dict(IssueTagValue.objects.filter(issue=issue).values_list("key", "value"))
    assert tags["browser"] == "Mobile Safari 17"
    assert tags["os"] == "iOS 17.1"
    assert tags["device"] == "iPhone"
    assert tags["url"] == "https://shop.example/cart"
    assert tags["user"] == "ann@example.com"
    assert tags["level"]


@pytest.mark.django_db
def test_user_agent_tags_keep_the_batch_query_count_constant(project):
    def queries_for(n: int) -> int:
        for i in range(n):
            agent = CHROME_MAC if i % 2 else IPHONE
            intake(project, python_error(request={"headers": {"User-Agent": agent}}))
        with CaptureQueriesContext(connection) as ctx:
            digest_batch(n)
        return len(ctx.captured_queries)

    queries_for(2)  # the issue exists now: the steady state
    assert queries_for(5) == queries_for(60)
