"""The issue list, issue details and status changes over the API."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from issues import lifecycle
from issues.models import HistoryKind, IssueBucket, IssueStatus, IssueTagValue
from projects.services import create_project
from tests.api_factories import auth, token_for
from tests.issue_factories import make_issue

pytestmark = pytest.mark.django_db

LIST = "/api/0/projects/bugtrack/backend/issues/"


def get(client, user, url, **params):
    return client.get(url, params, headers=auth(token_for(user)))


def put(client, user, url, body):
    return client.put(url, body, content_type="application/json", headers=auth(token_for(user)))


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["title"] for row in response.json()]


# --- list: access ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "member"])
def test_members_list_their_projects_issues(client, project, request, who):
    make_issue(project, title="ValueError: boom")
    assert titles(get(client, request.getfixturevalue(who), LIST)) == ["ValueError: boom"]


def test_an_outsider_gets_404_for_the_issue_list(client, project, outsider):
    make_issue(project)
    response = get(client, outsider, LIST)
    assert response.status_code == 404
    assert response.json() == {"detail": "The requested resource does not exist"}


def test_a_wrong_organization_slug_gets_404(client, project, owner):
    make_issue(project)
    assert get(client, owner, "/api/0/projects/acme/backend/issues/").status_code == 404


def test_the_organization_slug_is_a_setting(client, project, owner, settings):
    settings.ORGANIZATION_SLUG = "acme"
    make_issue(project)
    assert get(client, owner, "/api/0/projects/acme/backend/issues/").status_code == 200
    assert get(client, owner, LIST).status_code == 404


def test_projects_lists_only_my_projects(client, project, owner, outsider):
    create_project("Other", admins=[outsider])
    response = get(client, owner, "/api/0/projects/")
    assert [p["slug"] for p in response.json()] == ["backend"]
    org_scoped = get(client, owner, "/api/0/organizations/bugtrack/projects/")
    assert [p["slug"] for p in org_scoped.json()] == ["backend"]
    assert get(client, outsider, "/api/0/projects/").json()[0]["slug"] == "other"


# --- list: fields ---------------------------------------------------------------------------


def test_issues_carry_sentrys_field_names(client, project, owner, settings):
    settings.BASE_URL = "https://bugs.example.com"
    issue = make_issue(
        project, title="HTTPError: 429 Client Error", event_count=12345, culprit="app in view"
    )
    for n, user in enumerate(["42", "43", "42"]):
        IssueTagValue.objects.create(
            issue=issue,
            key="user",
            value=f"id:{user}" if n < 2 else "id:44",
            count=1,
            first_seen=issue.first_seen,
            last_seen=issue.last_seen,
        )
    [row] = get(client, owner, LIST).json()
    assert row["id"] == str(issue.pk)
    assert row["shortId"] == f"BACKEND-{issue.short_id}"
    assert row["count"] == "12345"
    assert row["userCount"] == 3
    assert row["culprit"] == "app in view"
    assert row["level"] == "error"
    assert row["status"] == "unresolved"
    assert row["platform"] == "python"
    assert row["numComments"] == 0
    assert row["isBookmarked"] is False
    assert row["type"] == "error"
    assert row["metadata"]["type"] == "HTTPError"
    assert row["project"] == {
        "id": str(project.pk),
        "slug": "backend",
        "name": "Backend",
        "platform": None,
    }
    assert row["permalink"] == f"https://bugs.example.com/projects/backend/issues/{issue.pk}/"
    # The same page the UI serves under its URL name.
    assert row["permalink"] == settings.BASE_URL + reverse(
        "issues:detail", args=["backend", issue.pk]
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", row["lastSeen"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", row["firstSeen"])


def test_the_list_carries_an_hourly_series_from_the_buckets(client, project, owner):
    issue = make_issue(project)
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    IssueBucket.objects.create(issue=issue, hour=hour, count=7)
    IssueBucket.objects.create(issue=issue, hour=hour - timedelta(hours=2), count=3)
    IssueBucket.objects.create(issue=issue, hour=hour - timedelta(days=3), count=100)
    [row] = get(client, owner, LIST).json()
    series = row["stats"]["24h"]
    assert len(series) == 24
    assert [n for _, n in series][-3:] == [3, 0, 7]
    assert series[-1][0] == int(hour.timestamp())
    [row] = get(client, owner, LIST, statsPeriod="14d").json()
    assert sum(n for _, n in row["stats"]["14d"]) == 110
    [row] = get(client, owner, LIST, statsPeriod="").json()
    assert "stats" not in row


@pytest.mark.parametrize(
    "status, sentry_status, details",
    [
        (IssueStatus.UNRESOLVED, "unresolved", {}),
        (IssueStatus.RESOLVED, "resolved", {}),
        (IssueStatus.RESOLVED_NEXT_RELEASE, "resolved", {"inNextRelease": True}),
        (IssueStatus.IGNORED, "ignored", {}),
    ],
)
def test_statuses_map_to_sentrys(client, project, owner, status, sentry_status, details):
    issue = make_issue(project, status=status)
    data = get(client, owner, f"/api/0/issues/{issue.pk}/").json()
    assert (data["status"], data["statusDetails"]) == (sentry_status, details)


# --- list: search ---------------------------------------------------------------------------


def test_the_list_shows_unresolved_issues_by_default(client, project, owner):
    make_issue(project, title="open")
    make_issue(project, title="done", status=IssueStatus.RESOLVED)
    make_issue(project, title="later", status=IssueStatus.RESOLVED_NEXT_RELEASE)
    make_issue(project, title="muted", status=IssueStatus.IGNORED)
    assert titles(get(client, owner, LIST)) == ["open"]
    assert sorted(titles(get(client, owner, LIST, query="is:resolved"))) == ["done", "later"]
    assert titles(get(client, owner, LIST, query="is:ignored")) == ["muted"]
    assert len(titles(get(client, owner, LIST, query=""))) == 4


def test_the_query_filters_by_level_environment_and_release(client, project, owner):
    make_issue(project, title="a", level="warning", environments=["prod"], last_release="1.0")
    make_issue(project, title="b", level="error", environments=["staging", "prod"])
    make_issue(project, title="c", level="error", environments=["dev"], first_release="2.0")
    assert titles(get(client, owner, LIST, query="level:warning")) == ["a"]
    assert sorted(titles(get(client, owner, LIST, query="environment:prod"))) == ["a", "b"]
    assert titles(get(client, owner, LIST, query="environment:prod level:error")) == ["b"]
    assert titles(get(client, owner, LIST, query="release:2.0")) == ["c"]
    assert titles(get(client, owner, LIST, query="release:1.0")) == ["a"]
    assert sorted(titles(get(client, owner, LIST, query="!environment:prod"))) == ["c"]


def test_the_environment_parameter_keeps_issues_seen_in_any_of_them(client, project, owner):
    make_issue(project, title="a", environments=["prod"])
    make_issue(project, title="b", environments=["staging"])
    make_issue(project, title="c", environments=["dev"])
    response = client.get(
        f"{LIST}?environment=prod&environment=staging", headers=auth(token_for(owner))
    )
    assert sorted(titles(response)) == ["a", "b"]


def test_environment_search_matches_whole_names_only(client, project, owner):
    make_issue(project, title="a", environments=["production"])
    assert titles(get(client, owner, LIST, query="environment:prod")) == []
    assert titles(get(client, owner, LIST, query='environment:"production"')) == ["a"]


def test_other_keys_search_the_issues_tag_values(client, project, owner):
    issue = make_issue(project, title="chrome only")
    make_issue(project, title="other")
    IssueTagValue.objects.create(
        issue=issue,
        key="browser",
        value="Chrome 120",
        count=3,
        first_seen=issue.first_seen,
        last_seen=issue.last_seen,
    )
    assert titles(get(client, owner, LIST, query='browser:"Chrome 120"')) == ["chrome only"]


def test_free_text_searches_title_and_culprit(client, project, owner):
    make_issue(project, title="KeyError: 'user'", culprit="shop.views in checkout")
    make_issue(project, title="TypeError: nope", culprit="shop.models in save")
    assert titles(get(client, owner, LIST, query="keyerror")) == ["KeyError: 'user'"]
    assert titles(get(client, owner, LIST, query="models")) == ["TypeError: nope"]
    assert titles(get(client, owner, LIST, query='"in checkout"')) == ["KeyError: 'user'"]
    assert titles(get(client, owner, LIST, query="is:unresolved shop nothing")) == []


def test_free_text_finds_a_short_id(client, project, owner):
    make_issue(project, title="first")
    second = make_issue(project, title="second")
    assert titles(get(client, owner, LIST, query=f"backend-{second.short_id}")) == ["second"]


def test_search_strings_are_data_not_sql(client, project, owner):
    make_issue(project, title="x", culprit="c")
    for query in ["' OR 1=1 --", 'release:"error\' OR \'1"="1"', "%", "_", "environment:%"]:
        assert titles(get(client, owner, LIST, query=query)) == []


def test_a_negated_status_lists_every_other_status(client, project, owner):
    make_issue(project, title="open")
    make_issue(project, title="done", status=IssueStatus.RESOLVED)
    make_issue(project, title="muted", status=IssueStatus.IGNORED)
    assert sorted(titles(get(client, owner, LIST, query="!is:resolved"))) == ["muted", "open"]


def test_an_unsupported_sentry_key_gets_400_naming_it(client, project, owner):
    response = get(client, owner, LIST, query="has:user")
    assert response.status_code == 400
    assert response.json() == {"detail": "Searching by has: is not supported."}


@pytest.mark.parametrize(
    "query, detail",
    [
        ("times_seen:>abc", "times_seen: needs a whole number"),
        ("age:-24x", "age: needs - (within the last) or + (longer ago than)"),
        ("lastSeen:1h", "lastSeen: needs - (within the last)"),
        ("level:bogus", "Unknown level 'bogus'"),
    ],
)
def test_a_bad_search_value_gets_400_saying_what_was_wrong(client, project, owner, query, detail):
    response = get(client, owner, LIST, query=query)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail)


def test_the_query_searches_counts_times_releases_and_users(client, project, owner):
    now = timezone.now()
    make_issue(project, title="new", event_count=2, first_seen=now - timedelta(hours=1),
               last_seen=now, first_release="2.0")  # fmt: skip
    old = make_issue(project, title="old", event_count=50, first_seen=now - timedelta(days=9),
                     last_seen=now - timedelta(days=2), first_release="1.0")  # fmt: skip
    IssueTagValue.objects.create(
        issue=old, key="user.email", value="ann@example.com", first_seen=now, last_seen=now
    )
    IssueTagValue.objects.create(issue=old, key="user", value="7", first_seen=now, last_seen=now)
    for query, expected in [
        ("times_seen:>10", ["old"]),
        ("!times_seen:>10", ["new"]),
        ("times_seen:2", ["new"]),
        ("age:-24h", ["new"]),
        ("age:+7d", ["old"]),
        ("!age:-24h", ["old"]),
        ("lastSeen:-1d", ["new"]),
        ("lastSeen:+1d", ["old"]),
        ("firstRelease:1.0", ["old"]),
        ("!firstRelease:1.0", ["new"]),
        ("user.email:ann@example.com", ["old"]),
        ("!user.email:ann@example.com", ["new"]),
        ("user.id:7", ["old"]),
        ("times_seen:>1 age:-1d firstRelease:2.0", ["new"]),
    ]:
        assert titles(get(client, owner, LIST, query=query)) == expected, query


@pytest.mark.parametrize(
    "query",
    [
        "level:warning",
        "!level:warning",
        "!environment:prod",
        "release:1.0",
        "is:all",
        "!is:ignored",
    ],
)
def test_the_ui_and_the_api_find_the_same_issues(client, project, owner, query):
    make_issue(
        project, title="AlphaIssue", level="warning", environments=["prod"], last_release="1.0"
    )
    make_issue(project, title="BetaIssue", status=IssueStatus.IGNORED)
    make_issue(project, title="GammaIssue", status=IssueStatus.RESOLVED)
    from_api = sorted(titles(get(client, owner, LIST, query=query)))
    client.force_login(owner)
    page = client.get(reverse("issues:list", args=[project.slug]), {"query": query, "tab": "all"})
    from_ui = sorted(
        t for t in ["AlphaIssue", "BetaIssue", "GammaIssue"] if t in page.content.decode()
    )
    assert from_ui == from_api


@pytest.mark.parametrize(
    "params",
    [
        {"query": "is:sleeping"},
        {"query": "level:catastrophic"},
        {"statsPeriod": "yesterday"},
        {"statsPeriod": "99999999d"},
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "ten"},
        {"cursor": "garbage"},
        {"cursor": "0:99999999999:0"},
        {"sort": "random"},
        {"query": "x" * 1001},
        {"query": " ".join(f"w{n}" for n in range(21))},
    ],
)
def test_bad_list_parameters_get_400_with_a_detail(client, project, owner, params):
    response = get(client, owner, LIST, **params)
    assert response.status_code == 400
    assert response.json()["detail"]


def test_stats_period_filters_by_last_seen(client, project, owner):
    now = timezone.now()
    make_issue(project, title="fresh", last_seen=now - timedelta(hours=2))
    make_issue(project, title="week old", last_seen=now - timedelta(days=7))
    make_issue(project, title="ancient", last_seen=now - timedelta(days=30))
    assert titles(get(client, owner, LIST, statsPeriod="24h")) == ["fresh"]
    assert titles(get(client, owner, LIST, statsPeriod="14d")) == ["fresh", "week old"]
    assert len(titles(get(client, owner, LIST, statsPeriod=""))) == 3
    assert len(titles(get(client, owner, LIST))) == 3


def test_sort_orders_by_last_seen_first_seen_or_count(client, project, owner):
    now = timezone.now()
    make_issue(project, title="old busy", last_seen=now - timedelta(hours=5), event_count=50)
    make_issue(
        project,
        title="new quiet",
        last_seen=now - timedelta(hours=1),
        first_seen=now - timedelta(hours=1),
        event_count=1,
    )
    make_issue(
        project,
        title="middle",
        last_seen=now,
        first_seen=now - timedelta(days=3),
        event_count=5,
    )
    assert titles(get(client, owner, LIST)) == ["middle", "new quiet", "old busy"]
    assert titles(get(client, owner, LIST, sort="new")) == ["new quiet", "old busy", "middle"]
    assert titles(get(client, owner, LIST, sort="freq")) == ["old busy", "middle", "new quiet"]


def test_the_uis_sort_names_work_in_the_api_too(client, project, owner):
    now = timezone.now()
    make_issue(project, title="busy", last_seen=now - timedelta(hours=1), event_count=50)
    make_issue(project, title="quiet", last_seen=now, event_count=1)
    assert titles(get(client, owner, LIST, sort="events")) == ["busy", "quiet"]
    assert titles(get(client, owner, LIST, sort="last_seen")) == ["quiet", "busy"]


# --- list: pagination and cost --------------------------------------------------------------


def parse_links(header: str) -> dict[str, dict[str, str]]:
    links = {}
    for part in header.split(", <"):
        url = part.strip("<").split(">;")[0]
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', part))
        links[attrs["rel"]] = {"url": url, **attrs}
    return links


def test_the_list_pages_with_sentrys_link_header(client, project, owner, settings):
    settings.BASE_URL = "https://bugs.example.com"
    now = timezone.now()
    for n in range(5):
        make_issue(project, title=f"issue {n}", last_seen=now - timedelta(minutes=n))
    first = get(client, owner, LIST, limit="2", query="is:unresolved")
    links = parse_links(first["Link"])
    assert titles(first) == ["issue 0", "issue 1"]
    assert links["previous"]["results"] == "false"
    assert links["next"]["results"] == "true"
    assert links["next"]["url"].startswith("https://bugs.example.com" + LIST)
    assert "query=is%3Aunresolved" in links["next"]["url"]

    seen = titles(first)
    cursor = links["next"]["cursor"]
    while True:
        page = get(client, owner, LIST, limit="2", query="is:unresolved", cursor=cursor)
        seen += titles(page)
        links = parse_links(page["Link"])
        assert links["previous"]["results"] == "true"
        if links["next"]["results"] == "false":
            break
        cursor = links["next"]["cursor"]
    assert seen == [f"issue {n}" for n in range(5)]


def test_pages_hold_100_issues_by_default(client, project, owner):
    for n in range(101):
        make_issue(project, title=f"issue {n}")
    response = get(client, owner, LIST)
    assert len(response.json()) == 100
    assert parse_links(response["Link"])["next"]["results"] == "true"


def count_queries(client, token, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers=auth(token))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_list_costs_the_same_queries_for_1_or_20_issues(client, project, owner):
    token = token_for(owner)
    client.get(LIST, headers=auth(token))  # the first use writes last_used_at
    issue = make_issue(project)
    IssueBucket.objects.create(issue=issue, hour=issue.last_seen, count=1)
    one = count_queries(client, token, LIST)
    for _ in range(19):
        other = make_issue(project)
        IssueBucket.objects.create(issue=other, hour=other.last_seen, count=1)
    assert len(client.get(LIST, headers=auth(token)).json()) == 20
    assert count_queries(client, token, LIST) == one


def test_an_issue_costs_the_same_queries_with_1_or_20_history_entries(client, project, owner):
    issue = make_issue(project)
    token = token_for(owner)
    url = f"/api/0/issues/{issue.pk}/"
    client.get(url, headers=auth(token))
    lifecycle.resolve(issue, user=owner)
    one = count_queries(client, token, url)
    for _ in range(10):
        lifecycle.unresolve(issue, user=owner)
        lifecycle.resolve(issue, user=owner)
    assert len(client.get(url, headers=auth(token)).json()["activity"]) == 21
    assert count_queries(client, token, url) == one


# --- details --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "member"])
def test_members_see_an_issue(client, project, request, who):
    issue = make_issue(project, first_release="1.0", last_release="1.2")
    data = get(client, request.getfixturevalue(who), f"/api/0/issues/{issue.pk}/").json()
    assert data["id"] == str(issue.pk)
    assert data["firstRelease"]["version"] == "1.0"
    assert data["lastRelease"]["version"] == "1.2"
    assert len(data["stats"]["24h"]) == 24


def test_an_outsider_gets_404_for_an_issue(client, project, outsider):
    issue = make_issue(project)
    assert get(client, outsider, f"/api/0/issues/{issue.pk}/").status_code == 404
    assert (
        put(client, outsider, f"/api/0/issues/{issue.pk}/", {"status": "resolved"}).status_code
        == 404
    )
    issue.refresh_from_db()
    assert issue.status == IssueStatus.UNRESOLVED


def test_another_projects_issue_id_gets_404(client, project, owner, outsider):
    theirs = make_issue(create_project("Theirs", admins=[outsider]), title="secret")
    response = get(client, owner, f"/api/0/issues/{theirs.pk}/")
    assert response.status_code == 404
    assert b"secret" not in response.content
    assert get(client, owner, f"/api/0/issues/THEIRS-{theirs.short_id}/").status_code == 404


def test_an_issue_is_found_by_its_short_id(client, project, owner):
    issue = make_issue(project)
    data = get(client, owner, f"/api/0/issues/BACKEND-{issue.short_id}/").json()
    assert data["id"] == str(issue.pk)


@pytest.mark.parametrize("issue_id", ["0", "99999999", "9" * 40, "abc", "-1", "BACKEND-"])
def test_a_nonexistent_issue_id_gets_404(client, project, owner, issue_id):
    make_issue(project)
    assert get(client, owner, f"/api/0/issues/{issue_id}/").status_code == 404


def test_org_scoped_issue_paths_work_too(client, project, owner):
    issue = make_issue(project)
    url = f"/api/0/organizations/bugtrack/issues/{issue.pk}/"
    assert get(client, owner, url).json()["id"] == str(issue.pk)
    assert get(client, owner, f"/api/0/organizations/acme/issues/{issue.pk}/").status_code == 404


# --- status changes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, status, kind",
    [
        ({"status": "resolved"}, IssueStatus.RESOLVED, HistoryKind.RESOLVED),
        (
            {"status": "resolvedInNextRelease"},
            IssueStatus.RESOLVED_NEXT_RELEASE,
            HistoryKind.RESOLVED_NEXT_RELEASE,
        ),
        (
            {"status": "resolved", "statusDetails": {"inNextRelease": True}},
            IssueStatus.RESOLVED_NEXT_RELEASE,
            HistoryKind.RESOLVED_NEXT_RELEASE,
        ),
        ({"status": "ignored"}, IssueStatus.IGNORED, HistoryKind.IGNORED),
    ],
)
def test_put_changes_the_status_and_records_who(client, project, member, body, status, kind):
    issue = make_issue(project, last_release="1.4")
    response = put(client, member, f"/api/0/issues/{issue.pk}/", body)
    assert response.status_code == 200, response.content
    issue.refresh_from_db()
    assert issue.status == status
    [entry] = issue.history.all()
    assert (entry.kind, entry.user, entry.actor) == (kind, member, "member")
    assert response.json()["activity"][0]["user"]["username"] == "member"


def test_put_unresolved_reopens_a_resolved_issue(client, project, owner):
    issue = make_issue(project, status=IssueStatus.RESOLVED)
    data = put(client, owner, f"/api/0/issues/{issue.pk}/", {"status": "unresolved"}).json()
    assert data["status"] == "unresolved"
    assert issue.history.get().kind == HistoryKind.UNRESOLVED


def test_resolving_in_next_release_reports_it_in_status_details(client, project, owner):
    issue = make_issue(project, last_release="1.4")
    data = put(client, owner, f"/api/0/issues/{issue.pk}/", {"status": "resolvedInNextRelease"})
    assert data.json()["statusDetails"] == {"inNextRelease": True}
    issue.refresh_from_db()
    assert issue.resolved_in_release == "1.4"


def test_ignore_for_a_duration(client, project, owner):
    issue = make_issue(project)
    before = timezone.now()
    body = {"status": "ignored", "ignoreDuration": 30}
    data = put(client, owner, f"/api/0/issues/{issue.pk}/", body).json()
    issue.refresh_from_db()
    assert before + timedelta(minutes=29) < issue.ignore_until < before + timedelta(minutes=31)
    assert data["statusDetails"]["ignoreUntil"].endswith("Z")


def test_ignore_until_more_events(client, project, owner):
    issue = make_issue(project, event_count=10)
    body = {"status": "ignored", "statusDetails": {"ignoreCount": 5}}
    data = put(client, owner, f"/api/0/issues/{issue.pk}/", body).json()
    issue.refresh_from_db()
    assert issue.ignore_until_count == 15
    assert data["statusDetails"] == {"ignoreCount": 5}


def test_setting_the_current_status_again_records_nothing(client, project, owner):
    issue = make_issue(project, status=IssueStatus.RESOLVED)
    assert (
        put(client, owner, f"/api/0/issues/{issue.pk}/", {"status": "resolved"}).status_code == 200
    )
    assert not issue.history.exists()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"",
        b"[]",
        b'"resolved"',
        b"{}",
        b'{"status": "fixed"}',
        b'{"status": 1}',
        b'{"status": "ignored", "ignoreDuration": -5}',
        b'{"status": "ignored", "ignoreDuration": "10"}',
        b'{"status": "ignored", "ignoreCount": true}',
        b'{"status": "ignored", "statusDetails": {"ignoreUserCount": 3}}',
        b'{"status": "resolved", "statusDetails": "soon"}',
        b'{"status": "resolved", "statusDetails": {"inRelease": "1.0"}}',
    ],
)
def test_a_bad_put_body_gets_400_and_changes_nothing(client, project, owner, body):
    issue = make_issue(project)
    response = client.put(
        f"/api/0/issues/{issue.pk}/",
        body,
        content_type="application/json",
        headers=auth(token_for(owner)),
    )
    assert response.status_code == 400
    assert response.json()["detail"]
    issue.refresh_from_db()
    assert issue.status == IssueStatus.UNRESOLVED
    assert not issue.history.exists()


def test_put_needs_no_csrf_token(project, owner):
    issue = make_issue(project)
    client = Client(enforce_csrf_checks=True)
    response = client.put(
        f"/api/0/issues/{issue.pk}/",
        {"status": "resolved"},
        content_type="application/json",
        headers=auth(token_for(owner)),
    )
    assert response.status_code == 200


def test_put_without_a_token_gets_401(client, project, owner):
    issue = make_issue(project)
    client.force_login(owner)
    response = client.put(
        f"/api/0/issues/{issue.pk}/", {"status": "resolved"}, content_type="application/json"
    )
    assert response.status_code == 401
    issue.refresh_from_db()
    assert issue.status == IssueStatus.UNRESOLVED


# --- bulk status changes (what sentry-cli's `issues resolve|mute|unresolve` send) ------------


def test_bulk_put_changes_the_issues_picked_by_id(client, project, member):
    a, b, c = make_issue(project), make_issue(project), make_issue(project)
    response = put(client, member, f"{LIST}?id={a.pk}&id={b.pk}", {"status": "resolved"})
    assert response.json() == {"status": "resolved", "statusDetails": {}}
    statuses = {i.pk: i.status for i in type(a).objects.all()}
    assert statuses == {a.pk: "resolved", b.pk: "resolved", c.pk: "unresolved"}
    assert a.history.get().user == member


def test_bulk_put_by_status_or_for_all(client, project, owner):
    open_issue = make_issue(project)
    done = make_issue(project, status=IssueStatus.RESOLVED)
    body = {"status": "muted", "snoozeDuration": 60}
    response = put(client, owner, f"{LIST}?status=unresolved", body)
    assert response.json() == {"status": "ignored", "statusDetails": {"ignoreDuration": 60}}
    open_issue.refresh_from_db()
    done.refresh_from_db()
    assert (open_issue.status, done.status) == (IssueStatus.IGNORED, IssueStatus.RESOLVED)
    assert open_issue.ignore_until is not None
    put(client, owner, f"{LIST}?", {"status": "unresolved", "snoozeDuration": None})
    assert set(type(done).objects.values_list("status", flat=True)) == {"unresolved"}


def test_bulk_put_by_query(client, project, owner):
    warning = make_issue(project, level="warning")
    error_issue = make_issue(project, level="error")
    put(client, owner, f"{LIST}?query=level:warning", {"status": "resolved"})
    warning.refresh_from_db()
    error_issue.refresh_from_db()
    assert (warning.status, error_issue.status) == ("resolved", "unresolved")


def test_bulk_put_never_touches_another_projects_issues(client, project, owner, outsider):
    theirs = make_issue(create_project("Theirs", admins=[outsider]))
    response = put(client, owner, f"{LIST}?id={theirs.pk}", {"status": "resolved"})
    assert response.status_code == 204
    theirs.refresh_from_db()
    assert theirs.status == IssueStatus.UNRESOLVED


def test_an_outsider_gets_404_for_a_bulk_put(client, project, outsider):
    issue = make_issue(project)
    assert put(client, outsider, f"{LIST}?id={issue.pk}", {"status": "resolved"}).status_code == 404
    issue.refresh_from_db()
    assert issue.status == IssueStatus.UNRESOLVED


@pytest.mark.parametrize(
    "query, body",
    [
        ("?id=abc", {"status": "resolved"}),
        ("?status=sleeping", {"status": "resolved"}),
        ("?", {"status": "fixed"}),
        ("?", {"status": "muted", "snoozeDuration": "soon"}),
    ],
)
def test_a_bad_bulk_put_gets_400_and_changes_nothing(client, project, owner, query, body):
    issue = make_issue(project)
    response = put(client, owner, f"{LIST}{query}", body)
    assert response.status_code == 400
    assert response.json()["detail"]
    issue.refresh_from_db()
    assert issue.status == IssueStatus.UNRESOLVED


def test_sentrys_user_sort_puts_the_most_affected_issue_first(client, project, owner):
    from tests.issue_factories import make_tag

    few = make_issue(project, title="few users", event_count=50)
    many = make_issue(project, title="many users", event_count=1)
    make_tag(few, "user", "u1", 50)
    for n in range(2):
        make_tag(many, "user", f"u{n}")
    response = get(client, owner, LIST, sort="user")
    assert titles(response) == ["many users", "few users"]
    assert [row["userCount"] for row in response.json()] == [2, 1]
