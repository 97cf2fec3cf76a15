"""core.emails: one template layout and one helper for every email Bugtrack sends."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import resolve, reverse

from core import emails

TEMPLATES = Path(django_settings.BASE_DIR) / "templates"
PARTS = ["body.html", "body.txt", "subject.txt"]


def test_every_email_is_a_directory_of_subject_text_and_html():
    # Names starting with "_" are the shared layout and its partials, not emails.
    names = sorted(p.name for p in (TEMPLATES / "emails").iterdir() if not p.name.startswith("_"))
    assert {"alert", "alert_summary", "alert_test", "invitation", "password_reset"} <= set(names)
    for name in names:
        assert sorted(p.name for p in (TEMPLATES / "emails" / name).iterdir()) == PARTS, name
    # The old layouts are gone, so nobody adds an email there by accident.
    assert not list(TEMPLATES.glob("*/email"))
    assert not list(TEMPLATES.glob("registration/password_reset_*.txt"))


def test_django_s_password_reset_email_uses_the_same_layout():
    func = resolve(reverse("password_reset")).func
    view = func.view_class(**func.view_initkwargs)
    subject, text, html = emails.template_names("password_reset")
    assert view.subject_template_name == subject
    assert view.email_template_name == text
    assert view.html_email_template_name == html


def test_the_subject_is_flattened_to_one_line_and_capped():
    email = emails.render("alert_test", {"project_name": "Web\r\nBcc: x@evil   " + "x" * 300})
    assert email.subject.startswith("[Web Bcc: x@evil x")
    assert len(email.subject) == emails.MAX_SUBJECT and email.subject.endswith("…")
    email.message("a@example.com").message()  # would raise BadHeaderError on a newline


def test_links_come_from_base_url_unless_the_context_says_otherwise(settings):
    settings.BASE_URL = "https://bugs.example.com/tracker/"
    parts = emails.base_url_context()
    assert parts["protocol"] == "https" and parts["domain"] == "bugs.example.com/tracker"
    email = emails.render("invitation", {"link": "https://x/invite/1/", "base_url": "mine"})
    assert "Bugtrack at mine." in email.text


@pytest.mark.django_db
def test_send_delivers_text_and_html_from_the_default_sender(smtp_server, settings):
    settings.BASE_URL = "https://bugs.example.com"
    emails.send("invitation", "new@example.com", {"link": "https://bugs.example.com/i/1/"})
    (message,) = smtp_server.wait_for(1)
    assert message["To"] == "new@example.com"
    assert message["From"] == settings.DEFAULT_FROM_EMAIL
    assert message["Subject"] == "You are invited to Bugtrack"
    assert message["Auto-Submitted"] is None  # a person asked for it
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "https://bugs.example.com/i/1/" in text
    assert 'href="https://bugs.example.com/i/1/"' in html


def test_headers_ride_along_to_every_recipient():
    email = emails.render("alert_test", {"project_name": "Web"}, emails.AUTOMATED)
    for to in ("a@example.com", "b@example.com"):
        message = email.message(to).message()
        assert message["To"] == to
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["X-Auto-Response-Suppress"] == "All"
