"""Issue list, issue page, status actions and raw JSON: access, behaviour and query counts."""

import json
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from issues.models import HistoryKind, IssueHistory, IssueStatus
from projects.services import create_project
from tests.issue_factories import make_bucket, make_event, make_history, make_issue, make_tag

pytestmark = pytest.mark.django_db


PAYLOAD = {
    "level": "error",
    "platform": "python",
    "release": "web@1.2.3",
    "environment": "production",
    "message": {"formatted": "Charging card 42 failed"},
    "exception": {
        "values": [
            {"type": "KeyError", "value": "'card'", "stacktrace": {"frames": []}},
            {
                "type": "PaymentError",
                "value": "card declined",
                "mechanism": {"type": "django", "handled": False},
                "stacktrace": {
                    "frames": [
                        {
                            "filename": "django/core/handlers/base.py",
                            "function": "get_response",
                            "lineno": 181,
                            "in_app": False,
                            "context_line": "response = wrapped_callback(request)",
                        },
                        {
                            "filename": "shop/payments.py",
                            "function": "charge",
                            "lineno": 12,
                            "in_app": True,
                            "pre_context": ["def charge(card):"],
                            "context_line": "    raise PaymentError('card declined')",
                            "post_context": ["", "def refund():"],
                            "vars": {"card": "'4242'", "amount": 1200},
                        },
                    ]
                },
            },
        ]
    },
    "breadcrumbs": {
        "values": [{"timestamp": 1700000000.5, "category": "http", "message": "GET /cart"}]
    },
    "tags": [["browser", "Firefox 120"], ["server", "web-1"]],
    "user": {"id": "u-7", "email": "ann@example.com"},
    "request": {
        "method": "POST",
        "url": "https://shop.example.com/pay",
        "query_string": [["step", "2"]],
        "headers": {"User-Agent": "Mozilla/5.0", "X-Trace": ["a", "b"]},
    },
    "contexts": {"os": {"name": "Linux", "version": "6.1"}, "runtime": {"name": "CPython"}},
    "sdk": {"name": "sentry.python", "version": "2.19.0"},
    "modules": {"django": "5.2"},
}


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def issue(project):
    issue = make_issue(
        project,
        title="PaymentError: card declined",
        culprit="shop.payments in charge",
        event_count=3,
        first_release="web@1.2.0",
        last_release="web@1.2.3",
    )
    make_history(issue, HistoryKind.FIRST_SEEN)
    return issue


# --- access: owner, member, outsider --------------------------------------------------------


@pytest.mark.parametrize("who,status", [("owner", 200), ("member", 200), ("outsider", 404)])
def test_issue_list_is_for_members_only(client, request, project, issue, who, status):
    login(client, request.getfixturevalue(who))
    assert client.get(reverse("issues:list", args=[project.slug])).status_code == status


@pytest.mark.parametrize("who,status", [("owner", 200), ("member", 200), ("outsider", 404)])
def test_issue_page_is_for_members_only(client, request, project, issue, who, status):
    make_event(issue, PAYLOAD)
    login(client, request.getfixturevalue(who))
    assert client.get(reverse("issues:detail", args=[project.slug, issue.pk])).status_code == status


@pytest.mark.parametrize("who,status", [("owner", 200), ("member", 200), ("outsider", 404)])
def test_raw_json_is_for_members_only(client, request, project, issue, who, status):
    event = make_event(issue, PAYLOAD)
    login(client, request.getfixturevalue(who))
    url = reverse("issues:event_json", args=[project.slug, issue.pk, event.event_id])
    assert client.get(url).status_code == status


@pytest.mark.parametrize("action", ["resolve", "resolve_next_release", "ignore", "unresolve"])
@pytest.mark.parametrize("who,status", [("owner", 302), ("member", 302), ("outsider", 404)])
def test_status_actions_are_for_members_only(client, request, project, issue, action, who, status):
    login(client, request.getfixturevalue(who))
    response = client.post(reverse(f"issues:{action}", args=[project.slug, issue.pk]))
    assert response.status_code == status
    issue.refresh_from_db()
    changed = issue.history.exclude(kind=HistoryKind.FIRST_SEEN).exists()
    assert changed == (status == 302)


@pytest.mark.parametrize("who,status", [("owner", 302), ("member", 302), ("outsider", 404)])
def test_bulk_action_is_for_members_only(client, request, project, issue, who, status):
    login(client, request.getfixturevalue(who))
    response = client.post(
        reverse("issues:bulk", args=[project.slug]), {"action": "resolve", "issue": [issue.pk]}
    )
    assert response.status_code == status
    issue.refresh_from_db()
    assert (issue.status == IssueStatus.RESOLVED) == (status == 302)


def test_signed_out_visitor_is_sent_to_login(client, project, issue):
    response = client.get(reverse("issues:detail", args=[project.slug, issue.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert "/accounts/login/" in response["Location"]


def test_another_projects_issue_id_gives_404(client, owner, project, issue):
    other = create_project("Other", admins=[owner])
    login(client, owner)
    assert client.get(reverse("issues:detail", args=[other.slug, issue.pk])).status_code == 404
    assert client.post(reverse("issues:resolve", args=[other.slug, issue.pk])).status_code == 404


def test_bulk_ignores_ids_of_other_projects(client, owner, outsider, project):
    foreign = make_issue(create_project("Foreign", admins=[outsider]))
    login(client, owner)
    client.post(
        reverse("issues:bulk", args=[project.slug]), {"action": "resolve", "issue": [foreign.pk]}
    )
    foreign.refresh_from_db()
    assert foreign.status == IssueStatus.UNRESOLVED


def test_status_actions_need_post(client, owner, project, issue):
    login(client, owner)
    assert client.get(reverse("issues:resolve", args=[project.slug, issue.pk])).status_code == 405


def test_status_actions_need_csrf(owner, project, issue):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(reverse("issues:resolve", args=[project.slug, issue.pk])).status_code == 403


# --- global list ----------------------------------------------------------------------------


def test_global_list_shows_only_my_projects_issues(client, member, outsider, project, issue):
    foreign = make_issue(create_project("Foreign", admins=[outsider]), title="SecretForeignError")
    login(client, member)
    body = client.get(reverse("issues:all")).content.decode()
    assert "PaymentError: card declined" in body
    assert foreign.title not in body


def test_global_list_without_projects_says_so(client, outsider):
    login(client, outsider)
    assert "not in any project" in client.get("/").content.decode()


# --- issue list -----------------------------------------------------------------------------


def list_body(client, project, **params) -> str:
    return client.get(reverse("issues:list", args=[project.slug]), params).content.decode()


def test_tabs_split_issues_by_status(client, owner, project):
    make_issue(project, title="OpenError")
    make_issue(project, title="DoneError", status=IssueStatus.RESOLVED)
    make_issue(project, title="NextError", status=IssueStatus.RESOLVED_NEXT_RELEASE)
    make_issue(project, title="QuietError", status=IssueStatus.IGNORED)
    login(client, owner)
    unresolved = list_body(client, project)
    assert "OpenError" in unresolved and "DoneError" not in unresolved
    resolved = list_body(client, project, tab="resolved")
    assert "DoneError" in resolved and "NextError" in resolved and "OpenError" not in resolved
    assert "QuietError" in list_body(client, project, tab="ignored")
    everything = list_body(client, project, tab="all")
    assert all(t in everything for t in ["OpenError", "DoneError", "QuietError"])


def test_search_matches_title_culprit_and_message(client, owner, project):
    make_issue(project, title="TimeoutError", culprit="billing.sync")
    make_issue(project, title="Other", message="the flux capacitor broke")
    make_issue(project, title="Unrelated")
    login(client, owner)
    assert "TimeoutError" in list_body(client, project, query="billing")
    body = list_body(client, project, query="capacitor")
    assert "Other" in body and "Unrelated" not in body and "TimeoutError" not in body


def test_search_filters_by_level_release_environment_and_tag(client, owner, project):
    a = make_issue(project, title="AlphaError", level="warning", last_release="2.0")
    b = make_issue(project, title="BetaError", level="error", first_release="1.0")
    make_tag(a, "environment", "staging")
    make_tag(b, "browser", "Firefox")
    login(client, owner)
    assert_only = lambda q, title: (  # noqa: E731
        title in (body := list_body(client, project, query=q))
        and ({"AlphaError", "BetaError"} - {title}).pop() not in body
    )
    assert assert_only("level:warning", "AlphaError")
    assert assert_only("release:1.0", "BetaError")
    assert assert_only("environment:staging", "AlphaError")
    assert assert_only("browser:Firefox", "BetaError")
    assert assert_only("Error browser:Firefox", "BetaError")


def test_is_filter_overrides_the_tab(client, owner, project):
    make_issue(project, title="DoneError", status=IssueStatus.RESOLVED)
    login(client, owner)
    assert "DoneError" in list_body(client, project, query="is:resolved")


def test_unbalanced_quotes_in_search_do_not_fail(client, owner, project, issue):
    login(client, owner)
    response = client.get(reverse("issues:list", args=[project.slug]), {"query": '"card'})
    assert response.status_code == 200


def test_negation_excludes_the_matching_issues(client, owner, project):
    make_issue(project, title="LoudError", level="error")
    quiet = make_issue(project, title="QuietWarning", level="warning")
    make_tag(quiet, "browser", "Firefox")
    login(client, owner)
    body = list_body(client, project, query="!level:error")
    assert "QuietWarning" in body and "LoudError" not in body
    body = list_body(client, project, query="!browser:Firefox")
    assert "LoudError" in body and "QuietWarning" not in body


def test_a_negated_is_filter_lists_every_other_status(client, owner, project):
    make_issue(project, title="OpenError")
    make_issue(project, title="DoneError", status=IssueStatus.RESOLVED)
    make_issue(project, title="QuietError", status=IssueStatus.IGNORED)
    login(client, owner)
    body = list_body(client, project, query="!is:ignored")
    assert "OpenError" in body and "DoneError" in body and "QuietError" not in body
    tabs = body[body.index('<nav class="tabs">') :]
    assert 'class="active"' not in tabs[: tabs.index("</nav>")]  # no tab lists exactly these


@pytest.mark.parametrize(
    "query, message",
    [
        ("level:catastrophic", "Unknown level &#x27;catastrophic&#x27;"),
        ("is:sleeping", "Unknown status is:sleeping"),
        ("has:user", "Searching by has: is not supported."),
        ("times_seen:>abc", "times_seen: needs a whole number"),
        ("age:-24x", "age: needs - (within the last) or +"),
        ("x" * 1001, "The query is too long"),
    ],
)
@pytest.mark.parametrize("url_name", ["issues:list", "issues:all"])
def test_a_query_that_cannot_run_shows_why_beside_the_search_box(
    client, owner, project, url_name, query, message
):
    make_issue(project, title="OpenError")
    login(client, owner)
    url = reverse(url_name, args=[project.slug] if url_name == "issues:list" else [])
    response = client.get(url, {"query": query})
    body = response.content.decode()
    assert response.status_code == 200
    assert f'<p id="search-error" class="search-error" role="alert">{message}' in body
    searchbar = body[body.index('class="searchbar"') :]
    assert "search-error" in searchbar[: searchbar.index("</form>")]
    assert "OpenError" not in body and "match “" not in body


def test_the_search_error_shows_the_query_only_escaped(client, owner, project, issue):
    login(client, owner)
    body = list_body(client, project, query="level:<b>x</b>")
    assert "Unknown level &#x27;&lt;b&gt;x&lt;/b&gt;&#x27;" in body and "<b>x" not in body


def test_sentrys_sort_names_work_in_the_ui_too(client, owner, project):
    make_issue(project, title="RareError", event_count=2)
    make_issue(project, title="BusyError", event_count=900)
    login(client, owner)
    body = list_body(client, project, sort="freq")
    assert body.index("BusyError") < body.index("RareError")
    assert '<option value="events" selected>Events</option>' in body


def test_sort_by_events_puts_busiest_first(client, owner, project):
    make_issue(project, title="RareError", event_count=2)
    make_issue(project, title="BusyError", event_count=900)
    login(client, owner)
    body = list_body(client, project, sort="events")
    assert body.index("BusyError") < body.index("RareError")
    body = list_body(client, project, sort="first_seen")
    assert body.index("BusyError") < body.index("RareError")


def test_list_paginates(client, owner, project):
    for i in range(55):
        make_issue(project, title=f"PagedError{i:02d}")
    login(client, owner)
    first, second = list_body(client, project), list_body(client, project, page=2)
    assert "Page 1 of 2" in first and "PagedError54" in first and "PagedError00" not in first
    assert "PagedError00" in second


def test_list_shows_sparkline_of_last_24_hours(client, owner, project, issue):
    make_bucket(issue, 0, 5)
    make_bucket(issue, 3, 2)
    make_bucket(issue, 30, 100)  # too old for the sparkline
    login(client, owner)
    body = list_body(client, project)
    assert 'aria-label="7 events from' in body
    assert body.count('class="bar"') == 2


def test_bulk_resolve_via_htmx_returns_to_the_same_list(client, owner, project):
    issues = [make_issue(project) for _ in range(3)]
    login(client, owner)
    response = client.post(
        reverse("issues:bulk", args=[project.slug]),
        {
            "action": "ignore",
            "issue": [issues[0].pk, issues[1].pk],
            "tab": "unresolved",
            "query": "x y",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?tab=unresolved&query=x+y")
    statuses = sorted(i.status for i in [*(x.__class__.objects.get(pk=x.pk) for x in issues)])
    assert statuses == ["ignored", "ignored", "unresolved"]
    assert IssueHistory.objects.filter(kind=HistoryKind.IGNORED, user=owner).count() == 2


def test_bulk_unknown_action_is_400(client, owner, project, issue):
    login(client, owner)
    response = client.post(
        reverse("issues:bulk", args=[project.slug]), {"action": "delete", "issue": [issue.pk]}
    )
    assert response.status_code == 400


def test_project_without_issues_shows_setup_snippets(client, owner, project):
    login(client, owner)
    body = list_body(client, project)
    assert "No events yet" in body
    assert project.keys.first().public_key in body


@pytest.mark.parametrize("url_name", ["issues:list", "issues:all"])
def test_list_query_count_does_not_grow_with_rows(client, owner, project, url_name):
    login(client, owner)
    url = reverse(url_name, args=[project.slug] if url_name == "issues:list" else [])
    first = make_issue(project)
    make_bucket(first, 1, 3)
    make_tag(first, "browser", "x")
    client.get(url)  # warm up session and content types
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for _ in range(30):
        make_bucket(make_issue(project), 2, 4)
    with CaptureQueriesContext(connection) as many:
        body = client.get(url).content.decode()
    assert body.count('name="issue"') == 31 or url_name == "issues:all"
    assert len(many) == len(one)


# --- issue page -----------------------------------------------------------------------------


def detail(client, issue, **params):
    return client.get(reverse("issues:detail", args=[issue.project.slug, issue.pk]), params)


def test_issue_page_shows_event_sections(client, owner, issue):
    make_tag(issue, "browser", "Firefox 120", 3)
    make_tag(issue, "browser", "Chrome 119", 1)
    make_event(issue, PAYLOAD)
    login(client, owner)
    body = detail(client, issue).content.decode()
    for expected in [
        "PaymentError", "card declined", "KeyError", "The above exception was the cause of",
        "shop/payments.py", "get_response", "Charging card 42 failed", "GET /cart",
        "User-Agent", "X-Trace", "step", "ann@example.com", "Linux", "CPython",
        "sentry.python", "django", "web@1.2.3", "production", "Firefox 120", "75%", "25%",
        "First seen", "Local variables", "Per hour", "14 days", "90 days",
    ]:  # fmt: skip
        assert expected in body, expected
    assert '<li class="current">' in body  # the highlighted line
    assert 'class="frame in-app" open' in body and 'class="frame library">' in body


def test_issue_page_navigates_between_events(client, owner, issue):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    events = [
        make_event(issue, {"message": f"m{i}"}, received_at=now - timedelta(minutes=10 - i))
        for i in range(3)
    ]
    login(client, owner)
    body = detail(client, issue).content.decode()
    assert events[2].event_id in body and f"?event={events[1].event_id}" in body
    assert f"?event={events[0].event_id}" in body  # oldest
    body = detail(client, issue, event=events[1].event_id).content.decode()
    assert f"?event={events[0].event_id}" in body and f"?event={events[2].event_id}" in body
    dashed = events[0].event_id
    dashed = f"{dashed[:8]}-{dashed[8:12]}-{dashed[12:16]}-{dashed[16:20]}-{dashed[20:]}"
    assert "m0" in detail(client, issue, event=dashed.upper()).content.decode()


def test_jump_to_unknown_event_id_says_so(client, owner, issue):
    make_event(issue, PAYLOAD)
    login(client, owner)
    assert "no event with that id" in detail(client, issue, event="0" * 32).content.decode()
    assert "32 hexadecimal" in detail(client, issue, event="<nope>").content.decode()
    odd_dashes = "0000-0000" + "0" * 24 + "--"
    assert "32 hexadecimal" in detail(client, issue, event=odd_dashes).content.decode()


def test_issue_with_evicted_events_still_shows_counts_and_history(client, owner, issue):
    login(client, owner)
    body = detail(client, issue).content.decode()
    assert "removed by retention" in body
    assert ">3</span>" in body and "First seen" in body


def test_history_shows_who_changed_the_status(client, owner, issue):
    login(client, owner)
    client.post(reverse("issues:resolve", args=[issue.project.slug, issue.pk]))
    body = detail(client, issue).content.decode()
    assert "Resolved" in body and "by</span> owner" in body


def test_ignore_choices_set_their_conditions(client, owner, issue):
    login(client, owner)
    url = reverse("issues:ignore", args=[issue.project.slug, issue.pk])
    client.post(url, {"until": "100"})
    issue.refresh_from_db()
    assert issue.status == IssueStatus.IGNORED and issue.ignore_until_count == 103
    client.post(url, {"until": "1h"})
    issue.refresh_from_db()
    assert issue.ignore_until is not None and issue.ignore_until_count is None
    assert client.post(url, {"until": "someday"}).status_code == 400


def test_resolve_in_next_release_remembers_the_release(client, owner, issue):
    login(client, owner)
    client.post(reverse("issues:resolve_next_release", args=[issue.project.slug, issue.pk]))
    issue.refresh_from_db()
    assert issue.status == IssueStatus.RESOLVED_NEXT_RELEASE
    assert issue.resolved_in_release == "web@1.2.3"


def test_why_grouped_renders_the_components(client, owner, issue):
    issue.grouping_components = {
        "exception": [{"type": "PaymentError", "frames": ["shop.payments:charge"]}]
    }
    issue.save()
    login(client, owner)
    body = detail(client, issue).content.decode()
    assert "Why grouped" in body and "shop.payments:charge" in body


def test_raw_json_downloads_as_attachment(client, owner, issue):
    event = make_event(issue, PAYLOAD)
    login(client, owner)
    response = client.get(
        reverse("issues:event_json", args=[issue.project.slug, issue.pk, event.event_id])
    )
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="event-{event.event_id}.json"'
    assert json.loads(response.content)["release"] == "web@1.2.3"


def test_raw_json_takes_a_dashed_uppercase_id_too(client, owner, issue):
    event = make_event(issue, PAYLOAD)
    login(client, owner)
    dashed = str(uuid.UUID(event.event_id)).upper()
    response = client.get(reverse("issues:event_json", args=[issue.project.slug, issue.pk, dashed]))
    assert response["Content-Disposition"] == f'attachment; filename="event-{event.event_id}.json"'


@pytest.mark.parametrize("event_id", ["f" * 32, "nothex", "f" * 32 + "----"])
def test_raw_json_of_unknown_or_malformed_event_is_404(client, owner, issue, event_id):
    login(client, owner)
    url = reverse("issues:event_json", args=[issue.project.slug, issue.pk, event_id])
    assert client.get(url).status_code == 404


def test_issue_page_query_count_does_not_grow_with_data(client, owner, issue):
    make_event(issue, PAYLOAD, event_id="a" * 32)  # two events: navigation links are present
    make_event(issue, PAYLOAD, event_id="b" * 32)
    login(client, owner)
    detail(client, issue)
    with CaptureQueriesContext(connection) as one:
        assert detail(client, issue).status_code == 200
    for i in range(40):
        make_event(issue, PAYLOAD, event_id=f"{i:032x}")
        make_tag(issue, f"tag{i}", "v")
        make_bucket(issue, i, 2)
        make_history(issue, HistoryKind.REGRESSED)
    with CaptureQueriesContext(connection) as many:
        assert detail(client, issue).status_code == 200
    assert len(many) == len(one)


def test_search_finds_digested_issues_by_environment_release_and_sdk_tag(client, owner, project):
    from digest.batch import digest_batch
    from tests.digest_factories import intake, python_error

    intake(project, python_error(type_="StagingError", environment="staging", release="api@7"))
    intake(project, python_error(type_="ProdError", function="other", tags={"region": "eu-1"}))
    assert digest_batch(10) == 2
    login(client, owner)
    for query, found, missing in [
        ("environment:staging", "StagingError", "ProdError"),
        ("release:api@7", "StagingError", "ProdError"),
        ("region:eu-1", "ProdError", "StagingError"),
    ]:
        body = list_body(client, project, query=query)
        assert found in body and missing not in body, query


def test_the_tags_panel_shows_derived_tags_first_with_shares_and_search_links(
    client, owner, project, issue
):
    from issues.tags import search_term

    make_tag(issue, "zone", "eu-1", 2)  # an SDK tag: after the derived ones
    make_tag(issue, "browser", "Chrome 120", 3)
    make_tag(issue, "browser", 'Odd "quoted" \\ one', 1)
    make_tag(issue, "release", "web@1.2.3", 4)
    login(client, owner)
    body = detail(client, issue).content.decode()
    panel = body[body.index('id="tags"') : body.index('class="card history"')]
    assert panel.index(">release<") < panel.index(">browser<") < panel.index(">zone<")
    assert "75%" in panel and "25%" in panel and "100%" in panel
    # Each link runs the list search that finds this issue by that value.
    for key, value in [("browser", 'Odd "quoted" \\ one'), ("zone", "eu-1")]:
        found = list_body(client, project, query=search_term(key, value))
        assert issue.title in found, key


def test_the_tags_panel_shows_even_when_the_events_are_gone(client, owner, issue):
    make_tag(issue, "user", "ann@example.com", 2)
    login(client, owner)
    body = detail(client, issue).content.decode()
    assert 'id="tags"' in body and "ann@example.com" in body


def test_the_issue_page_says_how_many_users_the_issue_affected(client, owner, issue):
    make_tag(issue, "user", "ann@example.com", 3)
    make_tag(issue, "user", "42", 1)
    make_tag(issue, "browser", "Firefox", 4)  # other tags are no users
    login(client, owner)
    body = detail(client, issue).content.decode()
    assert '<span class="num">2</span><span class="muted">users</span>' in body


def test_the_list_has_a_users_column_that_sorts_most_affected_first(client, owner, project):
    few = make_issue(project, title="FewUsersError", event_count=100)
    many = make_issue(project, title="ManyUsersError", event_count=1)
    make_tag(few, "user", "u1", 100)
    for n in range(3):
        make_tag(many, "user", f"u{n}", 1)
    login(client, owner)
    body = list_body(client, project, sort="users")
    assert body.index("ManyUsersError") < body.index("FewUsersError")
    assert '<td class="num users">3</td>' in body and '<td class="num users">1</td>' in body
    assert '<option value="users" selected>Users</option>' in body
    by_events = list_body(client, project, sort="events")
    assert by_events.index("FewUsersError") < by_events.index("ManyUsersError")


def test_a_mistyped_key_is_an_error_with_a_suggestion_not_an_empty_list(client, owner, project):
    issue = make_issue(project, title="TaggedError")
    make_tag(issue, "browser", "Chrome 120")
    login(client, owner)
    body = list_body(client, project, query="lavel:error")
    assert "Unknown key lavel: no issue here has that tag. Did you mean level:?" in body
    # A tag some issue has is searched as before, and a known key is never a tag question.
    assert "TaggedError" in list_body(client, project, query='browser:"Chrome 120"')
    assert "Unknown key nosuchtag: no issue here" in list_body(
        client, project, query="!nosuchtag:x"
    )


def test_a_mistyped_key_checks_only_the_searched_projects(client, owner, project):
    from projects.services import create_project

    other = create_project("Other", admins=[owner])
    make_tag(make_issue(other, title="ElsewhereError"), "team", "payments")
    make_issue(project, title="HereError")
    login(client, owner)
    assert "Unknown key team:" in list_body(client, project, query="team:payments")
