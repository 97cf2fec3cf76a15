"""The HTML emails share one layout (templates/emails/_base.html): tables and inline styles
that mail clients render, a dark-mode block in <head>, nothing fetched from elsewhere."""

import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from alerts.emails import render_alert, render_sample
from core import emails
from tests.alert_factories import new_issue_with_alert

EMAILS = Path(django_settings.BASE_DIR) / "templates" / "emails"
NAMES = sorted(p.name for p in EMAILS.iterdir() if p.is_dir())
# Enough context for the templates that need some to render at all.
CONTEXT = {"uid": "MQ", "token": "abc-123", "link": "https://bugs.example.com/x/", "path": "/p/"}


def head_and_body(html: str) -> tuple[str, str]:
    head = html[html.index("<head>") : html.index("</head>")]
    return head, html[html.index("<body") :]


def dark_block(head: str) -> str:
    style = re.search(r"<style>(.*?)</style>", head, re.S)[1]
    return style[style.index("@media (prefers-color-scheme: dark)") :]


@pytest.mark.parametrize("name", NAMES)
def test_every_email_extends_the_one_layout(name):
    source = (EMAILS / name / "body.html").read_text()
    assert source.startswith('{% extends "emails/_base.html" %}'), name
    assert "<html" not in source and "<style" not in source  # the layout's, not its own


@pytest.mark.parametrize("name", NAMES)
def test_every_email_renders_a_table_layout_readable_in_dark_mode(name, db):
    from django.contrib.auth import get_user_model

    boss = get_user_model()(username="boss")
    email = emails.render(name, {**CONTEXT, "added_by": boss, "invited_by": boss, "user": boss})
    head, body = head_and_body(email.html)
    assert '<meta name="color-scheme" content="light dark">' in head
    dark = dark_block(head)
    # Every class the body uses to colour something is switched in dark mode.
    used = set(re.findall(r"\bbt-[a-z-]+", " ".join(re.findall(r'class="([^"]+)"', body))))
    assert used and all(f".{c}" in dark for c in used), used - set(
        re.findall(r"\.(bt-[a-z-]+)", dark)
    )
    assert body.count('role="presentation"') >= 2 and "border-radius:6px" in body
    # Nothing external: no stylesheet, image, font or script for a client to fetch.
    for tag in ("<link", "<img", "<script", "@import", "url("):
        assert tag not in email.html, (name, tag)
    assert email.text.strip() and "<table" not in email.text  # the text part stays plain


@pytest.mark.django_db
def test_the_alert_email_is_sent_as_text_with_the_styled_html_alternative(project):
    _, alert = new_issue_with_alert(project, title="ValueError: boom")
    raw = render_alert(alert).message("dev@example.com").message().as_bytes()
    message = message_from_bytes(raw, policy=policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "ValueError: boom" in text and "shop/cart.py:17 in pay" in text
    assert "<table" not in text and "bt-card" not in text
    assert "ValueError: boom" in html and 'class="bt-card"' in html
    assert "background-color:#6d28d9" in html  # the product's accent on the button


def test_the_alert_sample_shows_frames_in_a_code_table_and_a_button():
    html = render_sample().html
    frames = html[html.index("Top frames") :]
    frames = frames[: frames.index("</table>")]
    assert frames.count('<td class="bt-code"') == frames.count("<tr>") >= 1
    assert "shop/cart.py:17 in <strong>average</strong>" in frames
    assert re.search(r'<a class="bt-button-link" href="[^"]+"[^>]*>View the issue</a>', html)


@pytest.mark.browser
def test_the_alert_email_switches_to_dark_colours_in_a_dark_client(browser):
    from tests.test_browser import SCREENSHOT_DIR

    page = browser.new_page(viewport={"width": 720, "height": 600})
    page.set_content(render_sample().html)
    card = page.locator("table.bt-card")
    colours = {}
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    for scheme, name in [("light", "email-alert.png"), ("dark", "email-alert-dark.png")]:
        page.emulate_media(color_scheme=scheme)
        colours[scheme] = card.evaluate("e => getComputedStyle(e).backgroundColor")
        page.screenshot(path=str(SCREENSHOT_DIR / name), full_page=True)
    assert colours == {"light": "rgb(255, 255, 255)", "dark": "rgb(27, 30, 35)"}
    page.close()
