"""The issue page's chart ranges and the environment choice on the list and the issue page:
behaviour, hostile values, links that keep the choice, and flat query counts."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from digest.batch import digest_batch
from issues.models import Issue
from tests.api_factories import auth, token_for
from tests.digest_factories import intake, python_error
from tests.issue_factories import make_bucket, make_event, make_issue, make_tag

pytestmark = pytest.mark.django_db


def digested(project, type_: str, environment: str, user: str, hours_ago: int = 0) -> None:
    at = datetime.now(UTC) - timedelta(hours=hours_ago)
    intake(
        project,
        python_error(
            type_=type_,
            environment=environment,
            user={"id": user},
            timestamp=at.timestamp(),
            tags={"browser.name": f"B-{environment}"},
        ),  # fmt: skip
        received_at=at,
    )


@pytest.fixture
def shop(project):
    """Through the real digest: a production and a staging issue, and one seen in both."""
    digested(project, "ProdError", "production", "u1")
    digested(project, "StagingError", "staging", "u2")
    for user, env, hours in [("u1", "production", 0), ("u2", "production", 30),
                             ("u3", "staging", 2)]:  # fmt: skip
        digested(project, "BothError", env, user, hours)
    assert digest_batch(100) == 5
    return {i.title.split(":")[0]: i for i in Issue.objects.filter(project=project)}


def listed(client, project, **params) -> str:
    return client.get(reverse("issues:list", args=[project.slug]), params).content.decode()


def detail(client, issue, **params):
    return client.get(reverse("issues:detail", args=[issue.project.slug, issue.pk]), params)


def bars(body: str) -> int:
    return body.count('class="hit"')


# --- ranges ---------------------------------------------------------------------------------


def test_the_issue_page_shows_24_hours_by_the_hour_by_default(client, owner, shop):
    client.force_login(owner)
    body = detail(client, shop["BothError"]).content.decode()
    assert bars(body) == 24 and "Per hour, last 24 hours" in body
    assert 'class="ylabel"' in body and 'class="xlabel"' in body
    assert "<title>1 event, " in body
    assert '<a href="?range=24h#chart" class="active" aria-current="true">' in body


@pytest.mark.parametrize("rng,slots,caption", [("14d", 14, "Per day, last 14 days"),
                                               ("90d", 90, "Per day, last 90 days")])  # fmt: skip
def test_14_and_90_days_show_daily_bars(client, owner, shop, rng, slots, caption):
    client.force_login(owner)
    body = detail(client, shop["BothError"], range=rng).content.decode()
    assert bars(body) == slots and caption in body
    assert "3 events" in body  # the 30-hour-old event is inside both ranges


def test_the_range_reads_the_buckets(client, owner, project):
    issue = make_issue(project)
    make_bucket(issue, 24 * 10, 7)  # ten days ago: in 14 and 90 days, not in 24 hours
    make_bucket(issue, 24 * 40, 5)  # forty days ago: in 90 days only
    client.force_login(owner)
    assert "· 0 events" in detail(client, issue).content.decode()
    assert "· 7 events" in detail(client, issue, range="14d").content.decode()
    assert "· 12 events" in detail(client, issue, range="90d").content.decode()


@pytest.mark.parametrize("value", ["7d", "", "x" * 5000, "%ff", "24h' OR 1=1"])
def test_an_invalid_range_falls_back_to_24_hours(client, owner, shop, value):
    client.force_login(owner)
    response = detail(client, shop["BothError"], range=value)
    assert response.status_code == 200 and bars(response.content.decode()) == 24


def test_a_nul_byte_in_range_or_environment_is_a_400_not_a_500(client, owner, project, shop):
    client.force_login(owner)
    issue = shop["BothError"]
    assert detail(client, issue, range="24h\x00").status_code == 400
    assert detail(client, issue, environment="prod\x00").status_code == 400
    response = client.get(reverse("issues:list", args=[project.slug]), {"environment": "a\x00"})
    assert response.status_code == 400


# --- the environment choice on the list -----------------------------------------------------


def test_the_list_offers_the_projects_environments_and_filters_by_one(client, owner, project, shop):
    client.force_login(owner)
    body = listed(client, project)
    options = re.findall(r'<option value="([^"]*)"', body[body.index('name="environment"') :])
    assert options[:3] == ["", "production", "staging"]
    assert "ProdError" in body and "StagingError" in body
    staging = listed(client, project, environment="staging")
    assert "StagingError" in staging and "BothError" in staging and "ProdError" not in staging
    assert '<option value="staging" selected>' in staging
    assert "(all environments)" in staging  # the sparkline stays the buckets' one query


@pytest.mark.parametrize("value", ["nowhere", "x" * 5000, "%ff", "production'--"])
def test_an_unknown_or_hostile_environment_lists_nothing(client, owner, project, shop, value):
    client.force_login(owner)
    response = client.get(reverse("issues:list", args=[project.slug]), {"environment": value})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="issue"' not in body and "in environment" in body


def test_the_list_keeps_the_environment_in_its_links(client, owner, project, shop):
    client.force_login(owner)
    body = listed(client, project, environment="staging")
    issue = shop["StagingError"]
    assert f'href="{issue.get_absolute_url()}?environment=staging"' in body
    assert "&amp;query=&amp;environment=staging" in body  # the tabs
    assert '<input type="hidden" name="environment" value="staging">' in body  # bulk actions


def test_a_bulk_action_returns_to_the_same_environment(client, owner, project, shop):
    client.force_login(owner)
    response = client.post(
        reverse("issues:bulk", args=[project.slug]),
        {"action": "resolve", "issue": [shop["StagingError"].pk], "environment": "staging"},
    )
    assert response["Location"].endswith("?environment=staging")


def test_the_api_and_the_list_agree_on_an_environment(client, owner, project, shop):
    client.force_login(owner)
    ui = listed(client, project, environment="production")
    api = client.get(
        f"/api/0/projects/bugtrack/{project.slug}/issues/?environment=production",
        headers=auth(token_for(owner)),
    ).json()
    assert sorted(i["title"].split(":")[0] for i in api) == ["BothError", "ProdError"]
    assert all(i["title"] in ui for i in api)


# --- the environment on the issue page ------------------------------------------------------


def test_the_issue_page_counts_charts_and_tags_one_environment(client, owner, shop):
    client.force_login(owner)
    issue = shop["BothError"]
    every = detail(client, issue).content.decode()
    assert re.search(r'<span class="num">3</span><span class="muted">events', every)
    assert re.search(r'<span class="num">3</span><span class="muted">users', every)
    prod = detail(client, issue, environment="production", range="14d").content.decode()
    assert re.search(r'num">2</span><span class="muted">events in <code>production', prod)
    assert re.search(r'<span class="num">2</span><span class="muted">users', prod)
    assert "last 14 days in <code>production</code> · 2 events" in prod
    tags = prod[prod.index('id="tags"') : prod.index('class="card history"')]
    assert "B-production" in tags and "B-staging" not in tags and "100%" in tags
    assert "B-staging" in every[every.index('id="tags"') :]
    # Within 24 hours only the newest production event is on the chart.
    assert "· 1 event" in detail(client, issue, environment="production").content.decode()


def test_an_unknown_environment_on_the_issue_page_shows_zeros(client, owner, shop):
    client.force_login(owner)
    for value in ["nowhere", "y" * 5000]:
        response = detail(client, shop["BothError"], environment=value)
        assert response.status_code == 200
        body = response.content.decode()
        assert re.search(r'<span class="num">0</span><span class="muted">events in', body)
        assert 'id="tags"' not in body and 'class="bar"' not in body


def test_the_issue_page_keeps_the_environment_in_its_links(client, owner, project, shop):
    client.force_login(owner)
    issue = shop["BothError"]
    body = detail(client, issue, environment="production", range="90d").content.decode()
    list_url = reverse("issues:list", args=[project.slug])
    assert f'href="{list_url}?environment=production">' in body  # back to the list
    assert 'href="?range=14d&amp;environment=production#chart"' in body
    # Event navigation, between its two production events.
    assert "&amp;environment=production&amp;range=90d#event" in body
    assert '?query=browser.name%3A%22B-production%22&amp;environment=production"' in body


def test_the_environment_choice_works_without_js_and_submits_on_change_with_it(client, owner, shop):
    client.force_login(owner)
    body = detail(client, shop["BothError"], range="14d").content.decode()
    form = body[body.index('<form method="get" class="environment-select"') :]
    form = form[: form.index("</form>")]
    assert '<input type="hidden" name="range" value="14d">' in form
    assert 'class="js-autosubmit"' in form and '<button type="submit"' in form


# --- query counts ---------------------------------------------------------------------------


def _queries(client, url: str, params: dict) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


@pytest.mark.parametrize("params", [{}, {"environment": "prod"}, {"environment": "prod",
                                                                   "range": "90d"}])  # fmt: skip
def test_the_issue_page_query_count_is_flat_in_every_range_and_environment(
    client, owner, project, params
):
    issue = make_issue(project)
    for _ in range(2):  # two events: the navigation links are there from the start
        make_event(issue, environment="prod", tags={"level": "error", "environment": "prod"})
    make_tag(issue, "environment", "prod")
    client.force_login(owner)
    url = reverse("issues:detail", args=[project.slug, issue.pk])
    client.get(url, params)
    one = _queries(client, url, params)
    for i in range(40):
        env = f"env{i % 5}" if i % 2 else "prod"
        make_event(issue, environment=env, received_at=datetime.now(UTC) - timedelta(days=i),
                   timestamp=datetime.now(UTC) - timedelta(days=i),
                   tags={"level": "error", "environment": env, f"t{i}": "v"})  # fmt: skip
        make_tag(issue, "environment", f"offered{i}")
        make_bucket(issue, i * 24, 2)
    assert _queries(client, url, params) == one
    # The same number with or without an environment: its queries replace the aggregates'.
    assert one == _queries(client, url, {})


@pytest.mark.parametrize("params", [{}, {"environment": "prod"}])
def test_the_list_query_count_is_flat_with_an_environment(client, owner, project, params):
    first = make_issue(project, environments=["prod"])
    make_bucket(first, 1, 3)
    client.force_login(owner)
    url = reverse("issues:list", args=[project.slug])
    client.get(url, params)
    one = _queries(client, url, params)
    for i in range(30):
        other = make_issue(project, environments=["prod"])
        make_tag(other, "environment", f"env{i}")
        make_bucket(other, 2, 4)
    assert _queries(client, url, params) == one
    assert listed(client, project, **params).count('name="issue"') == 31


def test_one_environments_chart_tags_and_users_come_from_its_newest_events(
    client, owner, project, monkeypatch
):
    from issues import environments

    monkeypatch.setattr(environments, "EVENTS_READ", 2)
    issue = make_issue(project)
    for age, browser, user in [(3, "Old", "u-old"), (2, "New", "u-new"), (1, "New", "u-new")]:
        at = datetime.now(UTC) - timedelta(hours=age)
        make_event(issue, environment="prod", received_at=at, user_ident=user,
                   tags={"environment": "prod", "browser": browser})  # fmt: skip
    make_tag(issue, "environment", "prod", 3)  # as the digest counts them
    client.force_login(owner)
    body = detail(client, issue, environment="prod").content.decode()
    panel = body[body.index('id="tags"') : body.index('class="card history"')]
    assert (
        "New" in panel
        and "Old" not in panel
        and "Chart, users and tags from its newest 2 events there." in panel
    )
    assert re.search(r"num\">1</span><span class=\"muted\">user", body)  # of the newest 2
    assert "· 2 events" in body  # the chart too


def test_a_project_is_offered_only_its_own_environments_in_order(project, owner):
    from issues.environments import of_project
    from projects.services import create_project

    other = create_project("Other", admins=[owner])
    for target, names in [(project, ["staging", "production"]), (other, ["alpha", "qa", "zeta"])]:
        for name in names:
            make_tag(make_issue(target), "environment", name)
    make_tag(make_issue(project), "environment", "production")  # a second issue, same name
    assert of_project(project.pk) == ["production", "staging"]
    assert of_project(other.pk) == ["alpha", "qa", "zeta"]


def test_the_event_shown_and_its_navigation_follow_the_environment(client, owner, project):
    issue = make_issue(project)
    ids = {}
    for age, env in [(5, "staging"), (4, "production"), (3, "staging"), (2, "production")]:
        at = datetime.now(UTC) - timedelta(hours=age)
        ids[age] = make_event(issue, environment=env, received_at=at).event_id
    client.force_login(owner)
    staging = detail(client, issue, environment="staging").content.decode()
    assert f"<h2>Event <code>{ids[3]}</code></h2>" in staging  # the newest in staging
    assert f"event={ids[5]}" in staging  # older, within staging
    assert f"event={ids[4]}" not in staging  # the production event between them is skipped
    every = detail(client, issue).content.decode()
    assert f"<h2>Event <code>{ids[2]}</code></h2>" in every and f"event={ids[3]}" in every
    # An asked-for event is shown whatever its environment.
    asked = detail(client, issue, environment="staging", event=ids[4]).content.decode()
    assert f"<h2>Event <code>{ids[4]}</code></h2>" in asked
