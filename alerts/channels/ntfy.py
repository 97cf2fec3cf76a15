"""ntfy: POST to the topic URL, the text as the body, `Title` and `Click` headers; the
channel's secret, if any, is the access token."""

from email.header import Header

from alerts.channels.notice import Notice, Request

PRIORITY = {"fatal": "5", "error": "4", "warning": "3", "info": "2", "debug": "1"}


def header_value(text: str) -> str:
    """One line; non-ASCII as RFC 2047 (ntfy decodes it), never a raw newline."""
    line = " ".join(text.split())[:250]
    return line if line.isascii() else " ".join(Header(line, "utf-8").encode().split())


def build(notice: Notice, secret: str, delivery_id: int) -> Request:
    headers = {
        "Content-Type": "text/plain; charset=utf-8",
        "Title": header_value(notice.subject),
        "Click": notice.url,
        "Tags": "warning"
        if notice.level in ("warning", "error", "fatal")
        else "information_source",
        "Priority": PRIORITY.get(notice.level, "3"),
    }
    if secret:
        headers["Authorization"] = f"Bearer {secret}"
    return Request(notice.plain_text().encode(), headers)
