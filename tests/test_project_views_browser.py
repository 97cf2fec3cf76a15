"""Headless Chromium: sign in, create a project, copy its DSN, send a test event; CSP-clean."""

import re

import pytest

from ingest.models import IntakeEvent
from projects.models import Project
from tests.conftest import dsn_for, make_user

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_admin_signs_in_creates_a_project_and_copies_its_dsn(
    transactional_db, live_server_url, browser
):
    make_user("chief", is_staff=True)
    context = browser.new_context(base_url=live_server_url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server_url)
    # We serve no favicon; Chromium's automatic request for one is not a page error.
    context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"))

    page.goto("/projects/")
    assert "/accounts/login/" in page.url
    page.fill("input[name=username]", "chief")
    page.fill("input[name=password]", "pw-chief")
    page.click("button[type=submit]")
    page.wait_for_url("**/projects/")

    page.goto("/projects/new/")
    page.fill("input[name=name]", "Checkout")
    page.click("button.primary")
    page.wait_for_url("**/projects/checkout/setup/")
    dsn = dsn_for(Project.objects.get(slug="checkout"), live_server_url)

    page.click("button.copy[data-copy-target^=setup-dsn]")
    page.wait_for_selector("button.copy:has-text('Copied')")
    assert page.evaluate("navigator.clipboard.readText()") == dsn

    page.click("details.snippet:has(summary:text-is('Go')) summary")
    page.click("details.snippet:has(summary:text-is('Go')) button.copy")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert re.search(rf'Dsn: +"{re.escape(dsn)}"', copied), copied  # gofmt aligns the values

    page.click("form.test-event button")
    page.wait_for_load_state()
    assert (
        IntakeEvent.objects.filter(project_id=Project.objects.get(slug="checkout").pk).count() == 1
    )
    assert problems == []
    context.close()
