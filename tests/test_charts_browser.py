"""Chromium, live server, strict CSP: the environment choice filters the list and follows to
the issue page, whose chart has axes, tooltips and ranges."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from tests.issue_factories import make_bucket, make_event, make_issue, make_tag
from tests.test_browser import SCREENSHOT_DIR, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]


def issue_in(project, title: str, environment: str):
    issue = make_issue(project, title=title, environments=[environment], event_count=6)
    make_tag(issue, "environment", environment, 6)
    for hours in range(0, 60, 10):
        at = datetime.now(UTC) - timedelta(hours=hours)
        make_event(issue, environment=environment, received_at=at, timestamp=at,
                   tags={"level": "error", "environment": environment})  # fmt: skip
        make_bucket(issue, hours, 1)
    return issue


def test_the_environment_choice_filters_the_list_and_the_chart_has_axes(
    browser, live_server_url, owner, project
):
    from playwright.sync_api import expect

    staging = issue_in(project, "StagingError: flaky fixture", "staging")
    issue_in(project, "ProdError: card declined", "production")
    page, console = signed_in_page(browser, live_server_url, owner, "pw-owner")
    page.goto(reverse("issues:list", args=[project.slug]))
    expect(page.locator("table.issues tbody tr")).to_have_count(2)

    page.get_by_label("Environment").select_option("staging")  # app.js submits on change
    page.wait_for_url("**environment=staging**")
    expect(page.locator("table.issues tbody tr")).to_have_count(1)
    expect(page.locator("table.issues")).to_contain_text("StagingError")

    page.get_by_role("link", name="StagingError: flaky fixture").click()
    page.wait_for_url(f"**{staging.get_absolute_url()}?environment=staging")
    chart = page.locator("svg.chart.axes")
    expect(chart.locator(".ylabel")).to_have_count(2)  # peak 1: gridlines at 0 and 1
    assert chart.locator(".xlabel").count() == 4
    assert chart.locator(".slot").count() == 24
    assert chart.locator(".bar").count() == 3  # events 0, 10 and 20 hours ago
    tips = chart.locator(".slot title").all_text_contents()
    assert sum(t.startswith("1 event, ") for t in tips) == 3
    expect(page.locator(".stat.events")).to_contain_text("events in staging")
    expect(page.locator(".stat.events .num")).to_have_text("6")

    page.get_by_role("link", name="14 days").click()
    page.wait_for_url("**range=14d**")
    expect(page.locator("svg.chart.axes .slot")).to_have_count(14)
    assert page.get_by_label("Environment").input_value() == "staging"
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    box = page.locator(".stats").bounding_box()
    margin = 12  # the stats row's own box starts at its first digit
    page.screenshot(path=str(SCREENSHOT_DIR / "issue-chart.png"), clip={
        "x": box["x"] - margin, "y": box["y"] - margin,
        "width": box["width"] + 2 * margin, "height": box["height"] + 2 * margin,
    })  # fmt: skip

    page.locator(".crumbs a").click()  # back to the list, still in staging
    page.wait_for_url("**environment=staging")
    expect(page.locator("table.issues tbody tr")).to_have_count(1)
    assert console.errors == [], console.errors
