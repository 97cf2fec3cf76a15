"""Source maps end to end with the real clients: an app bundled by esbuild with
@sentry/browser, `sentry-cli sourcemaps inject` + `upload` against the live gunicorn, the
error thrown in headless Chromium, digested, and read on the issue page and through the API."""

import json
import time
from pathlib import Path

import pytest
from django.urls import reverse

from digest.batch import digest_batch
from events.models import Event
from ingest.models import IntakeEvent
from issues.models import Issue
from tests.api_factories import token_for
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, dsn_for
from tests.jsapps import app_source, esbuild, npm_install, sentry_cli
from tests.test_api_live import request
from tests.test_browser import signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]

APP_ORIGIN = "http://localhost:1"  # never dialled: Playwright answers it (page.route)
# The app's page is answered by Playwright, so Chromium's local-network checks take it for a
# public page calling a loopback server (our DSN); a real deployment has neither quirk.
LOCAL_NETWORK_FLAG = (
    "--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests"
)


@pytest.fixture(scope="session")
def js_packages():
    npm_install()


@pytest.fixture
def app_browser(monkeypatch):
    """Chromium as the `browser` fixture starts it, plus the local-network flag."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, LOCAL_NETWORK_FLAG]
        )
        yield instance
        instance.close()


def build(tmp_path: Path, extra: str = "") -> Path:
    source = app_source("browser", tmp_path, extra)
    dist = source / "dist"
    esbuild(source / "app.js", dist / "app.min.js")
    return dist


def throw_in_chromium(browser, dist: Path, dsn: str, release: str = "") -> None:
    """Serve the built app from a fake origin and click the button that throws."""
    page_html = (
        "<!doctype html><button id=buy>Buy</button>"
        f"<script>window.BUGTRACK_DSN={json.dumps(dsn)};"
        f"window.BUGTRACK_RELEASE={json.dumps(release or None)};</script>"
        '<script src="/static/app.min.js"></script>'
    )
    context = browser.new_context()
    page = context.new_page()

    def serve(route):
        path = route.request.url.removeprefix(APP_ORIGIN)
        if path == "/":
            return route.fulfill(body=page_html, content_type="text/html")
        file = dist / path.removeprefix("/static/")
        route.fulfill(body=file.read_bytes(), content_type="application/javascript")

    page.route(f"{APP_ORIGIN}/**", serve)
    page.goto(f"{APP_ORIGIN}/")
    page.click("#buy")
    page.wait_for_function("window.SENT === true", timeout=20_000)
    context.close()


def digest_everything() -> None:
    deadline = time.monotonic() + 20
    while not IntakeEvent.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    while digest_batch():
        pass


def crash_frame(frames: list[dict]) -> dict:
    return next(f for f in reversed(frames) if f.get("function") == "computeTotal")


def test_a_minified_browser_error_reads_like_the_source_on_the_issue_page_and_in_the_api(
    js_packages, app_browser, live_server_url, project, owner, tmp_path
):
    token = token_for(owner)
    dist = build(tmp_path)
    sentry_cli(live_server_url, token, tmp_path, "sourcemaps", "inject", str(dist))
    out = sentry_cli(live_server_url, token, tmp_path, "sourcemaps", "upload",
                     "-o", "bugtrack", "-p", project.slug, str(dist))  # fmt: skip
    assert "File processing complete" in out

    throw_in_chromium(app_browser, dist, dsn_for(project, live_server_url))
    digest_everything()

    issue = Issue.objects.get(project=project)
    status, _, event = request(
        live_server_url, "GET", f"/api/0/issues/{issue.pk}/events/latest/", token
    )
    assert status == 200
    exception = next(e for e in event["entries"] if e["type"] == "exception")
    frames = exception["data"]["values"][-1]["stacktrace"]["frames"]
    frame = crash_frame(frames)
    assert (frame["filename"], frame["function"]) == ("app.js", "computeTotal")
    assert "basket.items.reduce" in dict(frame["context"])[frame["lineNo"]]
    assert frame["lineNo"] == 12
    raw = exception["data"]["values"][-1]["rawStacktrace"]["frames"]
    assert any(f["filename"].endswith("/static/app.min.js") for f in raw)
    assert "computeTotal" in issue.culprit or "computeTotal" in json.dumps(
        issue.grouping_components
    )

    page, console = signed_in_page(app_browser, live_server_url, owner, "pw-owner")
    page.goto(reverse("issues:detail", args=[project.slug, issue.pk]))
    body = page.inner_text("main")
    assert "computeTotal" in body and "basket.items.reduce" in body
    assert "app.js" in body
    page.click("text=Show minified frames")
    assert page.locator(".minified-frames").first.is_visible()
    assert page.locator(".minified-frames").first.inner_text().count("app.min.js") >= 1
    assert console.errors == []


def test_a_rebuild_with_new_minified_names_lands_in_the_same_issue(
    js_packages, app_browser, live_server_url, project, owner, tmp_path
):
    token = token_for(owner)
    dsn = dsn_for(project, live_server_url)
    for n, extra in enumerate(["", "export function unrelated(a) { return a * 2 + 1; }"]):
        dist = build(tmp_path / f"build{n}", extra)
        sentry_cli(live_server_url, token, tmp_path, "sourcemaps", "inject", str(dist))
        sentry_cli(live_server_url, token, tmp_path, "sourcemaps", "upload",
                   "-o", "bugtrack", "-p", project.slug, str(dist))  # fmt: skip
        throw_in_chromium(app_browser, dist, dsn)
        digest_everything()
    (issue,) = Issue.objects.filter(project=project)
    assert issue.event_count == 2
    payloads = [e.payload for e in Event.objects.filter(issue=issue)]
    assert len(payloads) == 2


def test_an_app_without_uploaded_maps_still_arrives_and_renders_saying_why(
    js_packages, app_browser, live_server_url, project, owner, tmp_path
):
    token = token_for(owner)
    dist = build(tmp_path)
    sentry_cli(live_server_url, token, tmp_path, "sourcemaps", "inject", str(dist))  # no upload
    throw_in_chromium(app_browser, dist, dsn_for(project, live_server_url))
    digest_everything()
    issue = Issue.objects.get(project=project)
    page, console = signed_in_page(app_browser, live_server_url, owner, "pw-owner")
    page.goto(reverse("issues:detail", args=[project.slug, issue.pk]))
    body = page.inner_text("main")
    assert "app.min.js" in body
    assert "No uploaded bundle has this file's debug id" in body
    assert console.errors == []


def test_sourcemaps_uploaded_for_a_release_with_a_url_prefix_resolve_without_debug_ids(
    js_packages, app_browser, live_server_url, project, owner, tmp_path
):
    token = token_for(owner)
    dist = build(tmp_path)
    cli = (live_server_url, token, tmp_path)
    sentry_cli(*cli, "releases", "new", "-o", "bugtrack", "-p", project.slug, "web@1.0.0")
    sentry_cli(*cli, "sourcemaps", "upload", "-o", "bugtrack", "-p", project.slug,
               "--release", "web@1.0.0", "--url-prefix", "~/static", str(dist))  # fmt: skip
    sentry_cli(*cli, "releases", "finalize", "-o", "bugtrack", "web@1.0.0")
    throw_in_chromium(app_browser, dist, dsn_for(project, live_server_url), release="web@1.0.0")
    digest_everything()
    event = Event.objects.get(project=project)
    from events import payload

    data = payload.decode(event.payload)
    frames = data["exception"]["values"][-1]["stacktrace"]["frames"]
    frame = crash_frame(frames)
    assert frame["data"]["resolved_with"] == "release"
    assert "basket.items.reduce" in frame["context_line"]
