"""Slack incoming webhook: `text` (notifications, fallback) plus Block Kit `blocks`."""

import orjson

from alerts.channels.notice import Notice, Request


def escape(text: str) -> str:
    """Slack's mrkdwn escapes: also keeps `<!channel>`-style mentions out of event text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def payload(notice: Notice) -> dict:
    title = escape(notice.title[:250])
    lines = [f"*{escape(notice.headline)}* in {escape(notice.project)}", f"<{notice.url}|{title}>"]
    if notice.detail:
        lines.append(escape(notice.detail))
    lines += [f"• {escape(i['title'][:150])}" for i in notice.held_issues]
    context = " · ".join(f"{label}: {escape(value)}" for label, value in notice.facts()[1:])
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}}]
    if context:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context[:2900]}]})
    return {"text": escape(notice.subject), "blocks": blocks}


def build(notice: Notice, secret: str, delivery_id: int) -> Request:
    return Request(orjson.dumps(payload(notice)), {"Content-Type": "application/json"})
