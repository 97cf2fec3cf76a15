"""Templated email: every email is a directory `templates/emails/<name>/` of three templates.

`subject.txt`, `body.txt` (plain text, autoescape off) and `body.html`. `render()` turns one
into an `Email` that can be addressed to many recipients (the alert sender renders once per
alert); `send()` renders and sends to one address.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

TEMPLATE_DIR = "emails"
MAX_SUBJECT = 200
# RFC 3834: machine-sent mail; asks auto-responders (vacation replies, Exchange) to stay quiet.
AUTOMATED: Mapping[str, str] = MappingProxyType(
    {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}
)


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def message(self, *to: str) -> EmailMultiAlternatives:
        """A message to `to`, from DEFAULT_FROM_EMAIL, with the HTML part attached."""
        message = EmailMultiAlternatives(
            subject=self.subject, body=self.text, to=list(to), headers=dict(self.headers)
        )
        message.attach_alternative(self.html, "text/html")
        return message


def base_url_context() -> dict[str, str]:
    """Link parts for email templates, taken from BASE_URL, never from a request.

    The request's Host header is attacker-chosen; links in emails must point at BASE_URL.
    `protocol`, `domain` and `site_name` are the names Django's password-reset email uses.
    """
    base = urlsplit(settings.BASE_URL)
    return {
        "protocol": base.scheme,
        "domain": base.netloc + base.path.rstrip("/"),
        "site_name": "Bugtrack",
        "base_url": settings.BASE_URL,
    }


def template_names(name: str) -> tuple[str, str, str]:
    """The subject, text and HTML template of email `name`."""
    base = f"{TEMPLATE_DIR}/{name}"
    return f"{base}/subject.txt", f"{base}/body.txt", f"{base}/body.html"


def one_line(subject: str) -> str:
    """Headers may not contain newlines, and titles come from events: flatten and cap."""
    subject = " ".join(subject.split())
    if len(subject) > MAX_SUBJECT:
        subject = subject[: MAX_SUBJECT - 1] + "…"
    return subject


def render(
    name: str, context: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> Email:
    """Render email `name`; `context` wins over the BASE_URL link parts."""
    context = {**base_url_context(), **context}
    subject, text, html = template_names(name)
    return Email(
        subject=one_line(render_to_string(subject, context)),
        text=render_to_string(text, context),
        html=render_to_string(html, context),
        headers=dict(headers or {}),
    )


def send(
    name: str, to: str, context: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> None:
    """Render email `name` and send it to `to`; SMTP errors propagate to the caller."""
    render(name, context, headers).message(to).send()
