"""The issue search box in Chromium under the CSP: its syntax popover, its errors and its
completions."""

import pytest
from django.urls import reverse

from tests.issue_factories import make_issue, make_tag
from tests.test_browser import SCREENSHOT_DIR, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]


def open_list(browser, live_server_url, owner, project):
    """The project's issue list, signed in as `owner`, and its search box."""
    page, console = signed_in_page(browser, live_server_url, owner, "pw-owner")
    page.goto(reverse("issues:list", args=[project.slug]))
    return page, console, page.get_by_role("searchbox", name="Search issues")


TOP_OF_PAGE = {"x": 0, "y": 0, "width": 1280, "height": 360}  # the search box and what it says


@pytest.fixture
def two_issues(project):
    chrome = make_issue(project, title="PaymentError: card declined", event_count=40)
    make_tag(chrome, "browser", "Chrome 119", 30)
    make_tag(chrome, "browser", "Firefox 120", 10)
    make_issue(project, title="TimeoutError: upstream took too long", event_count=2)


def test_the_syntax_popover_lists_every_key_even_without_javascript(
    browser, live_server_url, owner, project, two_issues
):
    from playwright.sync_api import expect

    page, console = signed_in_page(browser, live_server_url, owner, "pw-owner")
    without_js = browser.new_context(
        base_url=live_server_url,
        java_script_enabled=False,
        storage_state=page.context.storage_state(),
    ).new_page()
    for tab in (page, without_js):
        tab.goto(reverse("issues:list", args=[project.slug]))
        help_table = tab.locator(".search-help table")
        expect(help_table).to_be_hidden()
        tab.get_by_text("Search syntax").click()
        expect(help_table).to_be_visible()
        for example in ["is:unresolved", "user.email:ann@example.com", "user.id:42",
                        "times_seen:>100", "age:-24h", "lastSeen:-1h", "firstRelease:1.4.2",
                        "!environment:staging", "assigned:me", "bookmarks:me"]:  # fmt: skip
            expect(help_table).to_contain_text(example)
    popover = page.locator(".search-help-body").bounding_box()
    assert popover["x"] >= 0 and popover["x"] + popover["width"] <= 1280  # not cut off
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / "search-help.png"), full_page=True)
    page.goto(reverse("issues:all"))
    page.get_by_text("Search syntax").click()
    expect(page.locator(".search-help table")).to_contain_text("times_seen:>100")
    assert console.errors == [], console.errors


def test_a_bad_value_is_said_beside_the_search_box(
    browser, live_server_url, owner, project, two_issues
):
    from playwright.sync_api import expect

    page, console, box = open_list(browser, live_server_url, owner, project)
    box.fill("times_seen:>abc")
    box.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("times_seen: needs a whole number")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(page.locator("table.issues")).to_have_count(0)
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / "search-error.png"), clip=TOP_OF_PAGE)
    box = page.get_by_role("searchbox", name="Search issues")
    box.fill("times_seen:>10")
    box.press("Enter")
    expect(page.locator("table.issues tbody tr")).to_have_count(1)
    expect(page.get_by_role("alert")).to_have_count(0)
    assert console.errors == [], console.errors


def test_completions_fill_the_box_with_a_key_then_a_top_value(
    browser, live_server_url, owner, project, two_issues
):
    from playwright.sync_api import expect

    page, console, box = open_list(browser, live_server_url, owner, project)
    box.press_sequentially("bro")
    suggestions = page.locator("#search-suggestions")
    suggestions.get_by_role("button", name="browser:", exact=True).click()
    expect(box).to_have_value("browser:")
    expect(box).to_be_focused()
    box.press_sequentially("Ch")
    pick = suggestions.get_by_role("button", name='browser:"Chrome 119"')
    expect(suggestions.get_by_role("button")).to_have_count(1)  # Firefox does not start so
    pick.click()
    expect(box).to_have_value('browser:"Chrome 119" ')
    box.press("Enter")
    rows = page.locator("table.issues tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("PaymentError: card declined")
    assert console.errors == [], console.errors
