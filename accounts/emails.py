"""Each email is a named set of templates (subject, text, html) assembled by one helper."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def base_url_context() -> dict[str, str]:
    """`protocol`/`domain` for Django's email templates, taken from BASE_URL, not the request.

    The request's Host header is attacker-chosen; links in emails must point at BASE_URL.
    """
    base = urlsplit(settings.BASE_URL)
    return {
        "protocol": base.scheme,
        "domain": base.netloc + base.path.rstrip("/"),
        "site_name": "Bugtrack",
        "base_url": settings.BASE_URL,
    }


def send_templated(name: str, to: str, context: dict) -> None:
    """Render `accounts/email/<name>_subject.txt`, `_body.txt` and `_body.html`, then send."""
    context = {**base_url_context(), **context}
    subject = "".join(render_to_string(f"accounts/email/{name}_subject.txt", context).splitlines())
    text = render_to_string(f"accounts/email/{name}_body.txt", context)
    html = render_to_string(f"accounts/email/{name}_body.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    message.send()
