"""The search box's completions: keys, fixed values and the top tag values of recent issues."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from issues.models import Issue
from issues.search import LEVELS
from issues.suggest import KEYS, SHOWN, suggest
from projects.services import create_project
from tests.issue_factories import make_issue, make_tag

pytestmark = pytest.mark.django_db


def labels(project, query: str) -> list[str]:
    return [s.label for s in suggest(Issue.objects.filter(project=project), query)]


@pytest.fixture
def browsers(project, owner):
    issue = make_issue(project)
    for value, count in [("Chrome 119", 4), ("Chrome 120", 9), ("Firefox 120", 20)]:
        make_tag(issue, "browser", value, count)
    make_tag(make_issue(project), "browser", "Chrome 119", 10)  # counts add up across issues
    make_tag(issue, "release", "web@1.0", 1)
    elsewhere = create_project("Other", admins=[owner])
    make_tag(make_issue(elsewhere), "browser", "Chrome Secret", 100)
    return issue


def test_an_empty_query_offers_the_first_keys(project):
    assert labels(project, "") == list(KEYS[:SHOWN])


def test_a_started_key_offers_the_keys_it_begins_keeping_a_negation(project):
    assert labels(project, "ti") == ["times_seen:"]
    assert labels(project, "level:error !as") == ["!assigned:"]
    assert suggest(Issue.objects.none(), "level:error !as")[0].query == "level:error !assigned:"


def test_the_projects_own_tag_keys_are_offered_too(browsers, project):
    make_tag(browsers, "zone", "eu-1")
    make_tag(browsers, "sentry:user", "x")  # the syntax cannot spell this key
    assert labels(project, "zo") == ["zone:"]
    assert labels(project, "sen") == []


def test_tag_values_are_the_projects_most_counted_that_start_with_the_prefix(browsers, project):
    assert labels(project, "browser:ch") == ['browser:"Chrome 119"', 'browser:"Chrome 120"']
    assert labels(project, 'browser:"Fi') == ['browser:"Firefox 120"']
    assert labels(project, "browser:Safari") == []


def test_a_picked_value_completes_the_whole_query_ready_for_the_next_term(browsers, project):
    (first, _) = suggest(Issue.objects.filter(project=project), "is:unresolved !browser:Ch")
    assert first.query == 'is:unresolved !browser:"Chrome 119" '


def test_fixed_values_need_no_query(project):
    assert labels(project, "is:un") == ["is:unresolved", "is:unassigned"]
    assert labels(project, "level:") == [f"level:{v}" for v in LEVELS]
    assert labels(project, "age:+") == ["age:+7d", "age:+30d"]
    assert labels(project, "assigned:") == ["assigned:me"]


def test_first_release_offers_release_values_and_user_keys_offer_none(browsers, project):
    assert labels(project, "firstRelease:web") == ["firstRelease:web@1.0"]
    make_tag(browsers, "user", "ann@example.com")
    assert labels(project, "user.email:a") == [] and labels(project, "user.id:") == []


def test_a_query_past_the_search_limit_gets_no_suggestions(project):
    assert labels(project, "x" * 1001) == []


# --- the view -------------------------------------------------------------------------------


def fragment(client, user, url: str, query: str) -> str:
    client.force_login(user)
    response = client.get(url, {"query": query})
    assert response.status_code == 200
    return response.content.decode()


def test_the_view_answers_an_html_fragment_of_buttons(client, member, project, browsers):
    body = fragment(client, member, reverse("issues:suggest", args=[project.slug]), "browser:Ch")
    assert "<html" not in body and 'class="suggestions"' in body
    assert 'data-query="browser:&quot;Chrome 119&quot; "' in body
    assert "Chrome Secret" not in body


def test_nothing_to_suggest_is_an_empty_answer(client, member, project):
    body = fragment(client, member, reverse("issues:suggest", args=[project.slug]), "nope:zz")
    assert body.strip() == ""


def test_outsiders_get_404(client, outsider, project):
    client.force_login(outsider)
    assert client.get(reverse("issues:suggest", args=[project.slug])).status_code == 404


def test_the_global_list_suggests_from_my_projects_only(client, member, project, browsers):
    body = fragment(client, member, reverse("issues:suggest_all"), "browser:Ch")
    assert "Chrome 120" in body and "Chrome Secret" not in body  # member is not in Other


@pytest.mark.parametrize("query", ["browser:Ch", "br"])
def test_the_view_costs_the_same_queries_for_one_value_or_many(client, owner, project, query):
    url = reverse("issues:suggest", args=[project.slug])
    client.force_login(owner)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            client.get(url, {"query": query})
        return len(ctx.captured_queries)

    issue = make_issue(project)
    make_tag(issue, "browser", "Chrome 1")
    one = queries()
    for n in range(30):
        make_tag(make_issue(project), "browser", f"Chrome {n + 2}", n)
    assert queries() == one <= 4  # session, user, membership, suggestions
