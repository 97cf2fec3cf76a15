"""Every string an event carries is attacker-controlled: pages show it only escaped."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from digest.batch import digest_batch
from issues.models import Issue
from tests.digest_factories import intake
from tests.issue_factories import make_bucket

pytestmark = pytest.mark.django_db


SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
FIELDS = [
    "type", "value", "function", "filename", "context", "var", "tag", "crumb", "user",
    "header", "message", "module", "thread", "url", "context_os", "release", "device",
    "runtime",
]  # fmt: skip


def evil(field: str) -> str:
    return f"{SCRIPT}{BREAKOUT}{field.upper()}X"


def escaped(field: str) -> str:
    return (
        "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
        f"{field.upper()}X"
    )


def evil_frame() -> dict:
    return {
        "filename": evil("filename"),
        "function": evil("function"),
        "module": evil("module"),
        "lineno": 3,
        "in_app": False,
        "pre_context": [evil("context")],
        "context_line": evil("context"),
        "post_context": [evil("context")],
        "vars": {evil("var"): evil("var")},
    }


def evil_payload() -> dict:
    return {
        "platform": "python",
        "release": evil("release"),
        "environment": evil("release"),
        "message": {"formatted": evil("message")},
        "exception": {
            "values": [
                {
                    "type": evil("type"),
                    "value": evil("value"),
                    "module": evil("module"),
                    "mechanism": {"type": evil("type")},
                    "stacktrace": {"frames": [evil_frame()]},
                }
            ]
        },
        "threads": {
            "values": [
                {
                    "id": 1,
                    "name": evil("thread"),
                    "crashed": True,
                    "stacktrace": {"frames": [evil_frame()]},
                }
            ]
        },
        "breadcrumbs": [
            {
                "category": evil("crumb"),
                "message": evil("crumb"),
                "level": evil("crumb"),
                "data": {evil("crumb"): evil("crumb")},
            },
            {
                "type": "http",
                "category": evil("crumbcat"),
                "level": evil("crumblevel"),
                "data": {
                    "method": evil("crumbmethod"),
                    "url": evil("crumburl"),
                    "status_code": evil("crumbstatus"),
                },
            },
            {"type": "navigation", "data": {"from": evil("crumbfrom"), "to": evil("crumbto")}},
            {"category": "console", "level": evil("crumblevel"), "message": evil("crumbmsg")},
            {"category": "cart", "data": {evil("crumbkey"): evil("crumbvalue")}},
        ],
        "tags": [[evil("tag"), evil("tag")]],
        "user": {"id": evil("user"), "email": evil("user"), evil("user"): 1},
        "request": {
            "url": evil("url"),
            "method": evil("url"),
            "headers": [[evil("header"), evil("header")]],
            "query_string": evil("url"),
            "cookies": {evil("header"): evil("header")},
            "data": {"q": evil("url")},
        },
        "contexts": {
            evil("context_os"): {"name": evil("context_os")},
            "os": {"name": evil("context_os")},
            "device": {"model": evil("device")},
            "runtime": {"name": evil("runtime")},
        },
        "sdk": {
            "name": evil("module"),
            "version": evil("module"),
            "integrations": [evil("module")],
        },
        "modules": {evil("module"): evil("module")},
        "extra": {evil("value"): [evil("value")]},
        "fingerprint": [evil("fingerprint"), "{{ default }}"],
    }


@pytest.fixture
def evil_issue(project):
    """Digested like any event, so the digest's own derived fields (title, culprit...) count."""
    intake(project, evil_payload())
    assert digest_batch(100) == 1
    issue = Issue.objects.get(project=project)
    make_bucket(issue, 30, 4)
    return issue


def assert_only_escaped(body: str) -> None:
    assert SCRIPT not in body
    assert "<img" not in body
    assert "onerror=alert(1)>" not in body
    assert "alert(1)" in body  # the payloads were rendered, escaped


def issue_page(client, user, issue: Issue) -> str:
    client.force_login(user)
    return client.get(
        reverse("issues:detail", args=[issue.project.slug, issue.pk])
    ).content.decode()


def test_issue_page_shows_every_field_only_escaped(client, owner, evil_issue):
    body = issue_page(client, owner, evil_issue)
    assert_only_escaped(body)
    for field in FIELDS:
        if field == "context":  # Pygments splits it into tokens; checked below
            continue
        assert escaped(field) in body, field
    assert "CONTEXTX" in body and "&lt;" in body


def test_the_tags_panel_shows_derived_and_sdk_tags_only_escaped(client, owner, evil_issue):
    body = issue_page(client, owner, evil_issue)
    panel = body[body.index('id="tags"') : body.index('class="card history"')]
    assert_only_escaped(panel)
    for field in ("device", "runtime", "url", "context_os", "release", "user"):
        assert escaped(field) in panel, field
    # Each value links to the list searching for it; in the link it is percent-encoded.
    assert "?query=device%3A%22%3Cscript%3E" in panel


def test_breadcrumbs_and_why_grouped_show_event_data_only_escaped(client, owner, evil_issue):
    body = issue_page(client, owner, evil_issue)
    crumbs = body[body.index('id="breadcrumbs"') : body.index('<section class="request">')]
    assert_only_escaped(crumbs)
    for field in ("crumbcat", "crumburl", "crumbfrom", "crumbto", "crumbmsg", "crumbkey",
                  "crumbvalue"):  # fmt: skip
        assert escaped(field) in crumbs, field
    # Levels, methods and status codes are cut to their fields' lengths, then escaped.
    assert f"{escape(evil('crumbmethod')[:20])}… {escaped('crumburl')}" in crumbs
    assert f"</svg>{escape(evil('crumblevel')[:20])}…</span>" in crumbs
    assert f"[{escape(evil('crumbstatus')[:10])}…]" in crumbs
    why = body[body.index('id="why-grouped"') : body.index('class="card comments"')]
    assert_only_escaped(why)
    assert f"Grouped by the fingerprint [{escaped('fingerprint')}] and the default" in why
    assert f"<td><code>{escaped('fingerprint')}</code></td>" in why  # the components table


def test_the_events_tab_shows_its_columns_only_escaped(client, owner, evil_issue):
    client.force_login(owner)
    url = reverse("issues:events", args=[evil_issue.project.slug, evil_issue.pk])
    body = client.get(url).content.decode()
    table = body[body.index('<table class="events">') :]
    assert_only_escaped(body)
    for field in ("message", "release", "user"):  # release and environment carry "RELEASE"
        assert escaped(field) in table, field
    # The query and the error that quotes it are reflected escaped.
    refused = client.get(url, {"query": BREAKOUT + SCRIPT}).content.decode()
    assert SCRIPT not in refused and "<img" not in refused
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in refused


def test_issue_list_and_global_list_show_titles_only_escaped(client, owner, evil_issue):
    client.force_login(owner)
    for url in [reverse("issues:list", args=[evil_issue.project.slug]), reverse("issues:all")]:
        body = client.get(url).content.decode()
        assert_only_escaped(body)
        assert escaped("type") in body and escaped("function") in body


def test_the_first_event_poll_shows_the_title_only_escaped(client, owner, evil_issue):
    client.force_login(owner)
    url = reverse("issues:first_event", args=[evil_issue.project.slug])
    body = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert_only_escaped(body)
    assert escaped("type") in body


def test_the_project_list_shows_an_evil_projects_numbers_and_sparkline_escaped(
    client, owner, evil_issue
):
    client.force_login(owner)
    body = client.get(reverse("issues:project_list")).content.decode()
    assert SCRIPT not in body and "<img" not in body
    assert 'class="chart spark"' in body  # the project's row is drawn from its buckets


def test_search_query_is_reflected_only_escaped(client, owner, evil_issue):
    client.force_login(owner)
    url = reverse("issues:list", args=[evil_issue.project.slug])
    body = client.get(url, {"query": BREAKOUT + SCRIPT, "sort": BREAKOUT}).content.decode()
    assert SCRIPT not in body and "<img" not in body
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in body


def test_raw_json_download_is_not_html(client, owner, evil_issue):
    client.force_login(owner)
    event = evil_issue.events.get()
    response = client.get(
        reverse("issues:event_json", args=[evil_issue.project.slug, evil_issue.pk, event.event_id])
    )
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_pages_send_a_strict_csp(client, owner, evil_issue):
    client.force_login(owner)
    response = client.get(reverse("issues:detail", args=[evil_issue.project.slug, evil_issue.pk]))
    assert "script-src 'self'" in response["Content-Security-Policy"]
    body = response.content.decode()
    assert "style=" not in body and "<script>" not in body and " on" + "click=" not in body


def test_the_alert_email_shows_event_strings_only_escaped(evil_issue):
    from alerts.emails import render_alert
    from alerts.models import Alert, AlertKind

    event = evil_issue.events.get()
    alert = Alert.objects.create(
        project=evil_issue.project,
        issue=evil_issue,
        kind=AlertKind.NEW_ISSUE,
        event_id=event.event_id,
        created_at=event.received_at,
    )
    email = render_alert(alert)
    assert_only_escaped(email.html)
    for field in ("type", "value", "filename", "function", "context", "release"):
        assert escaped(field) in email.html, field
    assert evil("function") in email.text  # the text part shows them as sent
    assert "\n" not in email.subject


def test_issue_emails_show_the_title_only_escaped(evil_issue):
    from core import emails

    context = {
        "issue": evil_issue,
        "by": "boss",
        "link": "https://b/",
        "settings_link": "https://s/",
    }
    for name in ("assigned", "comment"):
        html = emails.render(name, {**context, "comment": {"text": SCRIPT}}).html
        assert_only_escaped(html)
        assert escaped("type") in html, name


def test_search_suggestions_show_tag_values_only_escaped(client, owner, evil_issue):
    client.force_login(owner)
    suggest_urls = [reverse("issues:suggest", args=[evil_issue.project.slug])]
    for url in [*suggest_urls, reverse("issues:suggest_all")]:
        for query in ["environment:<", "device:<", "<"]:
            body = client.get(url, {"query": query}).content.decode()
            assert SCRIPT not in body and "<img" not in body, query
        body = client.get(url, {"query": "environment:<"}).content.decode()
        assert "&lt;script&gt;alert(1)" in body


def test_environment_names_in_the_choice_and_the_filtered_pages_are_only_escaped(
    client, owner, evil_issue
):
    client.force_login(owner)
    name = evil("release")  # the event's environment
    list_url = reverse("issues:list", args=[evil_issue.project.slug])
    detail_url = reverse("issues:detail", args=[evil_issue.project.slug, evil_issue.pk])
    for url in (list_url, detail_url):
        for params in ({}, {"environment": name}):
            body = client.get(url, params).content.decode()
            assert_only_escaped(body)
            assert f'<option value="{escaped("release")}"' in body, (url, params)
    chosen = client.get(detail_url, {"environment": name}).content.decode()
    assert f"event in <code>{escaped('release')}</code>" in chosen  # counted in it
    assert "environment=%3Cscript%3E" in chosen  # in links, percent-encoded
    listed = client.get(list_url, {"environment": name}).content.decode()
    assert f'name="issue" value="{evil_issue.pk}"' in listed  # the filter found it
