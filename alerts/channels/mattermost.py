"""Mattermost incoming webhook: markdown `text`."""

import re

import orjson

from alerts.channels.notice import Notice, Request

SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~])")


def escape(text: str) -> str:
    """Markdown made literal, and @mentions (@channel, @all) defused with a zero-width space."""
    return SPECIAL.sub(r"\\\1", text).replace("@", "@\u200b")


def payload(notice: Notice) -> dict:
    lines = [f"**{escape(notice.headline)}** in {escape(notice.project)}"]
    lines.append(f"[{escape(notice.title[:250])}]({notice.url})")
    if notice.detail:
        lines.append(escape(notice.detail))
    lines += [f"- [{escape(i['title'][:150])}]({i['url']})" for i in notice.held_issues]
    lines += [f"{label}: `{value.replace('`', '')}`" for label, value in notice.facts()[1:]]
    return {"text": "\n".join(lines)}


def build(notice: Notice, secret: str, delivery_id: int) -> Request:
    return Request(orjson.dumps(payload(notice)), {"Content-Type": "application/json"})
