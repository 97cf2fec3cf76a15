"""Setup page: the DSN, copy-ready snippets per platform, and "send a test event"."""

import re

import orjson
import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from ingest.models import IntakeEvent
from projects.snippets import envelope_url, snippets
from tests.conftest import make_user


def setup_url(project) -> str:
    return reverse("projects:setup", args=[project.slug])


def test_setup_page_shows_the_dsn_and_a_snippet_per_platform(client, member, project):
    dsn = project.keys.get().dsn()
    client.force_login(member)
    body = client.get(setup_url(project)).content.decode()
    assert dsn in body
    for needle in [
        "pip install sentry-sdk",
        "sentry_sdk.init(\n    dsn=&quot;" + dsn,
        "@sentry/node",
        "@sentry/browser",
        "github.com/getsentry/sentry-go",
        "sentry/sentry",
        "sentry-ruby",
        "options.setDsn",
        "SentrySdk.Init",
        "x-sentry-envelope",
    ]:
        assert needle in body, needle
    # Copy buttons work through an external script only (the CSP forbids inline ones).
    assert "/static/js/copy" in body
    assert "<script>" not in body and "onclick" not in body and "style=" not in body


def test_every_snippet_carries_the_dsn_or_its_parts():
    dsn = "https://0123456789abcdef0123456789abcdef@bugs.example.com/track/42"
    url, key = envelope_url(dsn)
    assert url == "https://bugs.example.com/track/api/42/envelope/"
    assert key == "0123456789abcdef0123456789abcdef"
    items = snippets(dsn)
    assert {s.id for s in items} >= {"python", "django", "node", "browser", "go", "php", "curl"}
    for snippet in items:
        assert dsn in snippet.code or (url in snippet.code and key in snippet.code), snippet.id


# Each SDK's own option names for release and environment.
RELEASE_OPTIONS = {
    "python": ('release="my-app@1.0.0"', 'environment="production"'),
    "django": ('release="my-app@1.0.0"', 'environment="production"'),
    "node": ('release: "my-app@1.0.0"', 'environment: "production"'),
    "browser": ('release: "my-app@1.0.0"', 'environment: "production"'),
    "go": ('Release:     "my-app@1.0.0"', 'Environment: "production"'),
    "php": ("'release' => 'my-app@1.0.0'", "'environment' => 'production'"),
    "ruby": ("config.release = 'my-app@1.0.0'", "config.environment = 'production'"),
    "java": ('options.setRelease("my-app@1.0.0")', 'options.setEnvironment("production")'),
    "dotnet": ('options.Release = "my-app@1.0.0"', 'options.Environment = "production"'),
    "curl": ('\\"release\\":\\"my-app@1.0.0\\"', '\\"environment\\":\\"production\\"'),
}


def test_every_snippet_sets_release_and_environment_with_its_sdks_option_names():
    items = {s.id: s.code for s in snippets("https://k@bugs.example.com/1")}
    assert set(items) == set(RELEASE_OPTIONS)
    for sdk, (release, environment) in RELEASE_OPTIONS.items():
        assert release in items[sdk] and environment in items[sdk], sdk


def test_the_python_snippet_is_valid_python_passing_release_and_environment():
    import ast

    code = next(s.code for s in snippets("https://k@h/1") if s.id == "python")
    call = ast.parse(code).body[-1].value
    assert {k.arg: k.value.value for k in call.keywords} == {
        "dsn": "https://k@h/1", "release": "my-app@1.0.0", "environment": "production"
    }  # fmt: skip


def test_setup_page_says_which_data_is_not_stored_and_how_to_turn_it_off(client, member, project):
    from ingest.envelope import KEPT_TYPES

    assert KEPT_TYPES == ("event", "client_report")  # else the statement below is wrong
    client.force_login(member)
    body = client.get(setup_url(project)).content.decode()
    section = body[body.index('<section class="not-stored"') :]
    section = section[: section.index("</section>")]
    assert "Data Bugtrack does not store" in section
    for what in [
        "transactions and spans",
        "Profiles",
        "Session replays",
        "Sessions",
        "Attachments",
    ]:
        assert what in section, what
    for setting in [
        "traces_sample_rate", "tracesSampleRate", "browserTracingIntegration()",
        "profiles_sample_rate", "profilesSampleRate", "replayIntegration()",
        "replaysSessionSampleRate", "auto_session_tracking=False", "BrowserSession",
    ]:  # fmt: skip
        assert setting in section, setting
    # Said on a project without a key too, and on the empty issue list.
    project.keys.update(is_active=False)
    assert "Data Bugtrack does not store" in client.get(setup_url(project)).content.decode()
    issues = client.get(reverse("issues:list", args=[project.slug])).content.decode()
    assert "Data Bugtrack does not store" in issues


def test_the_setup_partial_renders_on_its_own_for_other_pages(project):
    html = render_to_string("projects/_setup_snippets.html", {"project": project, "dsn": ""})
    assert project.keys.get().dsn() in html  # falls back to the first active key
    given = render_to_string(
        "projects/_setup_snippets.html", {"project": project, "dsn": "http://k@h/1"}
    )
    assert "http://k@h/1" in given


def test_setup_page_without_an_active_key_says_so(client, owner, project):
    project.keys.update(is_active=False)
    client.force_login(owner)
    body = client.get(setup_url(project)).content.decode()
    assert "no active key" in body
    assert reverse("projects:keys", args=[project.slug]) in body


def test_send_test_event_queues_a_realistic_event_for_the_worker(client, member, project):
    client.force_login(member)
    response = client.post(reverse("ingest:send_test_event", args=[project.slug]))
    assert response.status_code == 302
    row = IntakeEvent.objects.get()
    assert row.project_id == project.pk
    assert re.fullmatch(r"[0-9a-f]{32}", row.event_id)
    event = orjson.loads(row.event_json())
    assert event["event_id"] == row.event_id
    assert isinstance(event["timestamp"], float)
    frames = event["exception"]["values"][0]["stacktrace"]["frames"]
    assert frames[-1]["function"] == "check_pipeline" and frames[-1]["in_app"] is True
    assert ["source", "setup-page"] in event["tags"]
    assert event["user"] == {"username": "member"}


def test_outsiders_cannot_send_test_events(client, outsider, project):
    client.force_login(outsider)
    response = client.post(reverse("ingest:send_test_event", args=[project.slug]))
    assert response.status_code == 404
    assert not IntakeEvent.objects.exists()


def test_anonymous_test_event_posts_are_sent_to_sign_in(client, project):
    response = client.post(reverse("ingest:send_test_event", args=[project.slug]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not IntakeEvent.objects.exists()


def test_project_names_are_escaped_on_the_setup_page(client, db):
    from projects.services import create_project

    admin = make_user("admin")
    project = create_project("</code><script>alert(1)</script>", admins=[admin])
    client.force_login(admin)
    body = client.get(setup_url(project)).content.decode()
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)" in body


@pytest.mark.parametrize("name", ["projects:setup", "projects:keys"])
def test_copy_script_is_served(client, owner, project, name):
    client.force_login(owner)
    body = client.get(reverse(name, args=[project.slug])).content.decode()
    src = re.search(r'<script src="([^"]+copy[^"]*\.js)"', body)[1]
    script = client.get(src)
    assert script.status_code == 200
    assert b"data-copy-target" in b"".join(script.streaming_content)


def test_the_test_event_is_digested_into_an_issue_shown_on_the_issue_list(client, member, project):
    from digest.batch import digest_batch
    from issues.models import Issue

    client.force_login(member)
    url = reverse("ingest:send_test_event", args=[project.slug])
    response = client.post(url)
    assert response["Location"] == reverse("issues:list", args=[project.slug])
    client.post(url)
    assert digest_batch() == 2
    issue = Issue.objects.get(project=project)  # both test events group into one issue
    assert "ZeroDivisionError" in issue.title and issue.event_count == 2
    body = client.get(response["Location"]).content.decode()
    assert "ZeroDivisionError" in body


def run_snippet(args: list[str], timeout: float = 30) -> str:
    import subprocess

    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return done.stdout


def wait_for_intake(project_id: int, timeout: float = 10) -> list[IntakeEvent]:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = list(IntakeEvent.objects.filter(project_id=project_id))
        if rows:
            return rows
        time.sleep(0.1)
    raise AssertionError("nothing reached the intake queue")


def snippet_for(project, live_server_url: str, snippet_id: str) -> str:
    from tests.conftest import dsn_for

    return next(s for s in snippets(dsn_for(project, live_server_url)) if s.id == snippet_id).code


@pytest.mark.live
def test_the_curl_snippet_really_sends_an_event(transactional_db, live_server_url):
    from projects.services import create_project

    project = create_project("Curl")
    out = run_snippet(["bash", "-c", snippet_for(project, live_server_url, "curl")])
    (row,) = wait_for_intake(project.pk)
    assert orjson.loads(out)["id"] == row.event_id
    event = orjson.loads(row.event_json())
    assert event["message"] == "Hello from curl"
    assert (event["release"], event["environment"]) == ("my-app@1.0.0", "production")


@pytest.mark.live
def test_the_python_snippet_really_sends_an_event_with_sentry_sdk(
    transactional_db, live_server_url
):
    import sys

    from projects.services import create_project

    project = create_project("Python")
    code = snippet_for(project, live_server_url, "python")
    code += '\nsentry_sdk.capture_message("Hello from the setup snippet")\nsentry_sdk.flush(10)\n'
    run_snippet([sys.executable, "-c", code])
    (row,) = wait_for_intake(project.pk)
    event = orjson.loads(row.event_json())
    assert event["message"] == "Hello from the setup snippet"
    assert (event["release"], event["environment"]) == ("my-app@1.0.0", "production")


def test_setup_page_shows_the_sentry_cli_source_map_commands_for_javascript(
    client, member, project, settings
):
    client.force_login(member)
    body = client.get(setup_url(project)).content.decode()
    assert "sentry-cli sourcemaps inject ./dist" in body
    assert "sentry-cli sourcemaps upload ./dist" in body
    assert f"export SENTRY_URL={settings.BASE_URL}" in body
    assert f"SENTRY_PROJECT={project.slug}" in body
    assert "sentry-cli releases finalize" in body


def first_event_url(project) -> str:
    return reverse("issues:first_event", args=[project.slug])


@pytest.mark.parametrize("page", ["projects:setup", "issues:list"])
def test_a_project_without_events_polls_for_its_first_one(client, member, project, page):
    client.force_login(member)
    body = client.get(reverse(page, args=[project.slug])).content.decode()
    notice = re.search(r'<div class="first-event" role="status">(.*?)</div>', body, re.S)[1]
    assert f'hx-get="{first_event_url(project)}"' in notice
    assert 'hx-trigger="every 3s"' in notice and "Waiting for your first event" in notice
    # Without JavaScript: a plain link to the issue list, which lists the event once it's in.
    assert f'<a href="{reverse("issues:list", args=[project.slug])}">Refresh</a>' in notice
    assert "<script>" not in body and "style=" not in body


def test_the_setup_page_stops_waiting_once_the_project_has_an_issue(client, member, project):
    from tests.issue_factories import make_issue

    make_issue(project)
    client.force_login(member)
    body = client.get(setup_url(project)).content.decode()
    assert "Waiting for your first event" not in body and first_event_url(project) not in body


def test_the_poll_swaps_nothing_until_the_first_event_then_links_its_issue(client, member, project):
    from tests.issue_factories import make_issue

    client.force_login(member)
    htmx = {"HTTP_HX_REQUEST": "true"}
    waiting = client.get(first_event_url(project), **htmx)
    assert waiting.status_code == 204 and not waiting.content
    assert "no-cache" in waiting["Cache-Control"]
    plain = client.get(first_event_url(project)).content.decode()
    assert "Waiting for your first event" in plain and 'hx-trigger="every 3s"' in plain

    first = make_issue(project, title="ZeroDivisionError: division by zero")
    make_issue(project, title="Later issue")
    arrived = client.get(first_event_url(project), **htmx)
    assert arrived.status_code == 200
    html = arrived.content.decode()
    link = reverse("issues:detail", args=[project.slug, first.pk])
    assert f'<a href="{link}">{first.short_code}: ZeroDivisionError: division by zero</a>' in html
    assert "hx-trigger" not in html  # the swapped-in link ends the poll


def test_the_poll_answers_in_a_fixed_number_of_queries(
    client, member, project, django_assert_max_num_queries
):
    from tests.issue_factories import make_issue

    make_issue(project)
    client.force_login(member)
    client.get(first_event_url(project))
    with django_assert_max_num_queries(4):  # session, user, membership + project, issue
        client.get(first_event_url(project), HTTP_HX_REQUEST="true")
