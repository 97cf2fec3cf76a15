"""End to end in headless Chromium against a live gunicorn: the pages work under the strict CSP."""

import copy
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from digest import grouping
from digest.normalize import normalize
from issues.models import HistoryKind, Issue, IssueStatus
from projects.models import Project
from projects.services import create_project
from tests.conftest import dsn_for
from tests.issue_factories import (
    epoch,
    make_bucket,
    make_event,
    make_history,
    make_issue,
    make_tag,
)
from tests.live import ROOT, start_command
from tests.payloads import fixture
from tests.test_ui_issues import PAYLOAD

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]

# Screenshots land in docs/ only when asked (BUGTRACK_UPDATE_SCREENSHOTS=1), so that a test
# run never dirties the work tree; otherwise they go to a scratch directory.
SCREENSHOT_DIR = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("BUGTRACK_UPDATE_SCREENSHOTS")
    else Path(tempfile.gettempdir()) / "bugtrack-screenshots"
)
SCREENSHOT = SCREENSHOT_DIR / "issue-page.png"


class Console:
    """Collects console errors, uncaught exceptions and CSP violations of a page."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("response", lambda r: r.status >= 400 and self.errors.append(f"{r.status} {r.url}"))


def signed_in_page(browser, base_url: str, user, password: str):
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    console = Console(page)
    page.goto(reverse("login"))
    page.fill("input[name=username]", user.get_username())
    page.fill("input[name=password]", password)
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()
    return page, console


def create_project_as(page, owner, name: str) -> Project:
    page.goto(reverse("projects:create"))
    page.fill("input[name=name]", name)
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()
    return Project.objects.get(name=name)


def send_event_with_sentry_sdk(dsn: str) -> None:
    import json

    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn, release="shop@2.0.1", environment="browser-test", default_integrations=False
    )
    try:
        json.loads("{not json")  # raises inside the standard library: a library frame
    except ValueError as exc:
        sentry_sdk.capture_exception(exc)
    sentry_sdk.flush(timeout=10)
    sentry_sdk.init(dsn=None)


def wait_for_issue(project: Project, timeout: float = 60) -> Issue:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        issue = Issue.objects.filter(project=project).first()
        if issue is not None:
            return issue
        time.sleep(0.5)
    raise AssertionError(f"no issue digested within {timeout}s")


def test_sign_in_send_an_event_find_open_expand_and_resolve_it(browser, live_server_url, owner):
    owner.is_staff = True  # creating projects is for installation admins
    owner.save(update_fields=["is_staff"])
    page, console = signed_in_page(browser, live_server_url, owner, "pw-owner")
    project = create_project_as(page, owner, "Shop")
    worker = start_command("worker", base_url=live_server_url)
    try:
        send_event_with_sentry_sdk(dsn_for(project, live_server_url))
        issue = wait_for_issue(project)
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    page.goto(reverse("issues:list", args=[project.slug]))
    page.get_by_role("link", name="JSONDecodeError").first.click()
    page.wait_for_url(f"**{issue.get_absolute_url()}")
    library = page.locator("details.frame.library").first
    assert library.get_attribute("open") is None
    library.locator("summary").click()
    assert library.get_attribute("open") is not None
    page.get_by_role("button", name="Resolve", exact=True).click()
    page.wait_for_load_state()
    assert page.locator(".issue-head .badge").inner_text() == "Resolved"
    issue.refresh_from_db()
    assert issue.status == IssueStatus.RESOLVED
    assert console.errors == []


def with_real_breadcrumbs(payload: dict, event_time: float) -> dict:
    """`payload` with the breadcrumbs sentry-sdk sent in python/chained-cause.json (a sign-in,
    then the payment gateway's 502), moved to the seconds before `event_time`."""
    crumbs = fixture("python/chained-cause.json")["breadcrumbs"]["values"]  # a fresh copy
    signed_in, gateway = crumbs
    signed_in["timestamp"], gateway["timestamp"] = event_time - 42.5, event_time - 0.8
    return {**payload, "breadcrumbs": {"values": [signed_in, gateway]}}


def rich_issue(project: Project) -> Issue:
    received = timezone.now()
    payload = with_real_breadcrumbs(PAYLOAD, epoch(received - timedelta(seconds=1)))
    grouped = grouping.compute(normalize(copy.deepcopy(payload), "0" * 32, received))
    issue = make_issue(
        project, short_id=1, title="PaymentError: card declined", culprit="shop.payments in charge",
        event_count=1342, first_release="web@1.2.0", last_release="web@1.2.3",
        grouping_components=grouped.components, grouping_version=grouped.version,
    )  # fmt: skip
    for hour in range(0, 48 * 14, 5):
        make_bucket(issue, hour, (hour * 7919) % 23 + (40 if hour < 30 else 3))
    for value, count in [("Firefox 120", 803), ("Chrome 119", 412), ("Safari 17", 127)]:
        make_tag(issue, "browser", value, count)
    make_tag(issue, "server", "web-1", 1342)
    derived = {
        "level": [("error", 1342)],
        "release": [("web@1.2.3", 1100), ("web@1.2.0", 242)],
        "environment": [("production", 1300), ("staging", 42)],
        "user": [("ann@example.com", 700), ("bob@example.com", 400), ("42", 242)],
        "os": [("Windows 10", 900), ("Mac OS X 10.15", 442)],
        "device": [("Mac", 442)],
        "url": [("https://shop.example/cart", 1342)],
    }
    for key, counts in derived.items():
        for value, count in counts:
            make_tag(issue, key, value, count)
    make_history(issue, HistoryKind.FIRST_SEEN)
    make_event(issue, payload, received_at=received)
    return issue


def test_issue_pages_work_in_chromium_under_the_csp(browser, live_server_url, owner, project):
    from playwright.sync_api import expect

    issue = rich_issue(project)
    for i in range(3):
        make_issue(project, title=f"TimeoutError: upstream {i} took too long", event_count=10 + i)
    storefront = create_project("Storefront", admins=[owner])
    for hour, count in [(1, 4), (2, 9), (3, 2), (7, 5), (15, 12), (22, 3)]:
        make_bucket(make_issue(storefront, title="TypeError: price is undefined"), hour, count)
    page, console = signed_in_page(browser, live_server_url, owner, "pw-owner")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)

    page.goto(reverse("issues:project_list"))
    expect(page.locator("table.project-list tbody tr")).to_have_count(2)
    expect(page.locator("table.project-list svg.spark .bar").first).to_be_attached()
    page.screenshot(path=str(SCREENSHOT.with_name("project-list.png")))

    page.goto(reverse("issues:list", args=[project.slug]))
    assert page.locator("table.issues tbody tr").count() == 4
    page.screenshot(path=str(SCREENSHOT.with_name("issue-list.png")))
    # bulk ignore through htmx (CSRF travels in hx-headers)
    page.locator("input[name=issue]").nth(1).check()
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_role("button", name="Ignore").click()
    expect(page.locator("table.issues tbody tr")).to_have_count(3)
    assert Issue.objects.filter(status=IssueStatus.IGNORED).count() == 1
    expect(page.locator("#messages")).to_contain_text("Ignored 1 issue(s).")
    page.locator(".js-select-all").check()
    assert page.locator("input[name=issue]:checked").count() == 3
    page.locator(".js-select-all").uncheck()

    page.get_by_role("link", name="PaymentError: card declined").click()
    page.wait_for_url(f"**{issue.get_absolute_url()}")
    library = page.locator("details.frame.library").first
    assert library.get_attribute("open") is None
    page.get_by_role("button", name="Show all frames").first.click()
    assert library.get_attribute("open") is not None
    library.locator("summary").click()
    assert library.get_attribute("open") is None
    library.locator("summary").click()
    gateway = page.locator("li.crumb.kind-http")
    expect(gateway.locator(".crumb-msg")).to_have_text(
        "POST https://gateway.example.net/v2/charge [502]"
    )
    expect(gateway.locator(".crumb-time")).to_have_text("-0.8s")
    expect(page.locator("#why-grouped .why")).to_have_text(
        "Grouped by the stack trace of PaymentError: charge"
    )
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    page.emulate_media(color_scheme="dark")
    page.evaluate("window.scrollTo(0, 0)")  # the head, the chart and the event's start
    page.mouse.move(0, 0)  # no chart bar hovered
    page.screenshot(path=str(SCREENSHOT.with_name("issue-page-dark.png")))
    page.emulate_media(color_scheme="light")

    page.get_by_role("button", name="Resolve", exact=True).click()
    page.wait_for_load_state()
    assert page.locator(".issue-head .badge").inner_text() == "Resolved"
    assert "by owner" in page.locator(".history").inner_text()
    assert console.errors == [], console.errors
    assert os.path.getsize(SCREENSHOT) > 10_000


def test_a_value_in_the_tags_panel_opens_the_list_filtered_by_it(
    browser, live_server_url, owner, project
):
    from playwright.sync_api import expect

    issue = rich_issue(project)
    make_issue(project, title="TimeoutError: upstream took too long")
    page, console = signed_in_page(browser, live_server_url, owner, "pw-owner")
    page.goto(issue.get_absolute_url())
    panel = page.locator("#tags")
    expect(panel.locator(".tagkey").first).to_have_text("level")
    expect(panel).to_contain_text("60%")  # Firefox 120: 803 of 1342 events
    panel.get_by_role("link", name="Chrome 119").click()
    page.wait_for_url("**/?query=*")
    search_box = page.get_by_role("searchbox", name="Search issues")
    expect(search_box).to_have_value('browser:"Chrome 119"')
    rows = page.locator("table.issues tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("PaymentError: card declined")
    assert console.errors == [], console.errors


def test_the_events_tab_lists_searches_and_opens_an_issues_events(
    browser, live_server_url, owner, project
):
    from playwright.sync_api import expect

    issue = rich_issue(project)  # its one event is web@1.2.3 in production
    older = make_event(issue, {**PAYLOAD, "release": "web@1.2.0"}, release="web@1.2.0")
    page, console = signed_in_page(browser, live_server_url, owner, "pw-owner")
    page.goto(issue.get_absolute_url())
    page.get_by_role("link", name="Events", exact=True).click()
    rows = page.locator("table.events tbody tr")
    expect(rows).to_have_count(2)
    search_box = page.get_by_role("searchbox", name="Search events")
    search_box.fill("release:web@1.2.0")
    search_box.press("Enter")
    expect(rows).to_have_count(1)
    page.screenshot(path=str(SCREENSHOT.with_name("issue-events.png")))
    search_box = page.get_by_role("searchbox", name="Search events")
    search_box.fill("is:resolved")
    search_box.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Events have no status")
    page.go_back()
    rows.first.get_by_role("link").click()
    page.wait_for_url(f"**?event={older.event_id}#event")
    expect(page.locator("#event h2")).to_contain_text(older.event_id)
    assert console.errors == [], console.errors


def test_an_issue_opens_by_its_short_id_and_a_wrong_one_gets_the_styled_404(
    browser, live_server_url, owner, project
):
    from playwright.sync_api import expect

    issue = rich_issue(project)  # short id 1
    page, console = signed_in_page(browser, live_server_url, owner, "pw-owner")
    page.goto(reverse("issues:short_id", args=[project.slug, issue.short_code]))
    page.wait_for_url(f"**{issue.get_absolute_url()}")
    expect(page.locator("h1")).to_contain_text("PaymentError: card declined")
    response = page.goto(reverse("issues:short_id", args=[project.slug, f"{issue.short_code}0"]))
    assert response is not None and response.status == 404
    expect(page.locator(".error-page h1")).to_have_text("Page not found")
    page.screenshot(path=str(SCREENSHOT.with_name("not-found.png")))
    # The only errors are the 404 answer itself (as a response and as Chromium's console line).
    assert console.errors and all("404" in error for error in console.errors), console.errors


def test_assign_comment_and_merge_in_chromium(browser, live_server_url, owner, member, project):
    from playwright.sync_api import expect

    first = make_issue(project, title="KeyError: basket", event_count=5)
    second = make_issue(project, title="KeyError: basket (again)", event_count=2)
    make_event(first, PAYLOAD)
    make_event(second, PAYLOAD)
    page, console = signed_in_page(browser, live_server_url, owner, "pw-owner")

    page.goto(first.get_absolute_url())
    page.get_by_label("Assignee").select_option("member")
    page.get_by_role("button", name="Assign", exact=True).click()
    page.wait_for_load_state()
    expect(page.locator(".issue-head .assignee")).to_have_text("member")
    assert "to member" in page.locator(".history").inner_text()

    page.get_by_label("New comment").fill("Same as https://example.com/ticket/7 <b>bold?</b>")
    page.get_by_role("button", name="Comment", exact=True).click()
    page.wait_for_load_state()
    thread = page.locator("#comments .thread")
    expect(thread).to_contain_text("<b>bold?</b>")  # shown as text, not markup
    expect(thread.get_by_role("link", name="https://example.com/ticket/7")).to_have_count(1)

    page.goto(reverse("issues:list", args=[project.slug]))
    page.get_by_label(f"Select {first.short_code}").check()
    page.get_by_label(f"Select {second.short_code}").check()
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_role("button", name="Merge", exact=True).click()
    expect(page.locator("table.issues tbody tr")).to_have_count(1)
    expect(page.locator("#messages")).to_contain_text(f"Merged 2 issues into {first.short_code}")
    page.goto(second.get_absolute_url())
    page.wait_for_url(f"**{first.get_absolute_url()}")
    page.get_by_role("link", name="Merged", exact=True).click()
    expect(page.locator("table.hashes tbody tr")).to_have_count(2)
    assert console.errors == [], console.errors


def test_the_setup_page_turns_into_a_link_to_the_first_issue_when_it_arrives(
    browser, live_server_url, owner, project
):
    from playwright.sync_api import expect

    from digest.batch import digest_batch

    page, console = signed_in_page(browser, live_server_url, owner, "pw-owner")
    page.goto(reverse("projects:setup", args=[project.slug]))
    notice = page.locator(".first-event")
    assert "Waiting for your first event" in notice.inner_text()
    expect(page.get_by_role("heading", name="Data Bugtrack does not store")).to_be_visible()
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / "setup.png"), full_page=True)
    page.wait_for_timeout(3500)  # at least one empty poll: nothing is swapped
    assert "Waiting for your first event" in notice.inner_text()

    send_event_with_sentry_sdk(dsn_for(project, live_server_url))
    deadline = time.monotonic() + 20
    while not digest_batch() and time.monotonic() < deadline:
        time.sleep(0.2)
    issue = Issue.objects.get(project=project)
    link = notice.get_by_role("link", name=issue.short_code)
    link.wait_for(timeout=10_000)  # the next poll brings it in, without a reload
    assert "Your first event arrived" in notice.inner_text()
    assert "JSONDecodeError" in link.inner_text()
    link.click()
    page.wait_for_url(f"**{issue.get_absolute_url()}")
    assert console.errors == []
