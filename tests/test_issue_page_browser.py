"""The issue page's breadcrumbs and "Why grouped" in headless Chromium, under the strict CSP."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.issue_factories import epoch, make_event, make_issue
from tests.test_browser import signed_in_page
from tests.test_why_grouped import components

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]


def test_breadcrumbs_render_as_lines_and_the_older_ones_are_collapsed(
    browser, live_server_url, owner, project
):
    from playwright.sync_api import expect

    received = timezone.now()
    at = epoch(received - timedelta(seconds=1))  # the event's timestamp (make_event's default)
    crumbs = [
        {"timestamp": at - 100 + i, "category": "console", "message": f"early crumb {i}"}
        for i in range(5)
    ]
    crumbs += [{"timestamp": at - 20 + i, "message": f"step {i}"} for i in range(8)]
    crumbs += [
        {
            "timestamp": at - 2.3,
            "type": "http",
            "category": "fetch",
            "level": "warning",
            "data": {
                "method": "GET",
                "url": "https://shop.example.com/api/cart/42",
                "status_code": 404,
            },
        },  # fmt: skip
        {"timestamp": at - 65, "type": "navigation", "data": {"from": "/cart", "to": "/pay"}},
    ]
    issue = make_issue(
        project,
        title="PaymentError: card declined",
        grouping_components=components("python/chained-cause.json"),
    )
    make_event(issue, {"message": "checkout failed", "breadcrumbs": crumbs}, received_at=received)
    page, console = signed_in_page(browser, live_server_url, owner, "pw-owner")
    page.goto(reverse("issues:detail", args=[project.slug, issue.pk]))

    recent = page.locator(".crumbs-recent > li.crumb")
    expect(recent).to_have_count(10)
    http = page.locator("li.crumb.kind-http")
    expect(http.locator(".crumb-msg")).to_have_text(
        "GET https://shop.example.com/api/cart/42 [404]"
    )
    expect(http.locator(".crumb-time")).to_have_text("-2.3s")
    assert "UTC" in (http.locator(".crumb-time").get_attribute("title") or "")
    expect(page.locator("li.crumb.kind-navigation .crumb-msg")).to_have_text("/cart → /pay")
    expect(page.locator("li.crumb.kind-navigation .crumb-time")).to_have_text("-1m 05s")
    assert http.locator("svg.crumb-icon").bounding_box()["width"] > 0  # the sprite is drawn

    early = page.get_by_text("early crumb 0")
    expect(early).to_be_hidden()
    page.get_by_text("Show 5 earlier breadcrumbs").click()
    expect(early).to_be_visible()
    expect(page.locator(".crumbs-earlier li.crumb.kind-console")).to_have_count(5)

    why = page.locator("#why-grouped")
    expect(why.locator(".why")).to_have_text(
        "Grouped by the stack trace of PaymentError: … → parse_reply → chained_cause → charge"
    )
    tree = why.locator("details.grouping-tree table.components")
    expect(tree).to_be_hidden()
    why.locator("details.grouping-tree > summary").click()
    expect(tree).to_be_visible()
    expect(tree.locator("tr.contributes th").first).to_have_text("exception 1 type")
    assert console.errors == [], console.errors
