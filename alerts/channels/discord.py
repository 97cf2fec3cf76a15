"""Discord webhook: one embed; mentions are never parsed (event text could say @everyone)."""

import orjson

from alerts.channels.notice import Notice, Request

COLORS = {"fatal": 0x8B0000, "error": 0xE03E2F, "warning": 0xF2C744, "info": 0x3B82F6}
GREY = 0x9CA3AF


def payload(notice: Notice) -> dict:
    description = [notice.detail] if notice.detail else []
    description += [f"• [{i['title'][:150]}]({i['url']})" for i in notice.held_issues]
    embed = {
        "title": f"{notice.headline}: {notice.title}"[:256],
        "url": notice.url,
        "color": COLORS.get(notice.level, GREY),
        "fields": [
            {"name": label, "value": value[:1024], "inline": label != "First frame"}
            for label, value in notice.facts()
        ][:25],
    }
    if description:
        embed["description"] = "\n".join(description)[:4096]
    return {"embeds": [embed], "allowed_mentions": {"parse": []}}


def build(notice: Notice, secret: str, delivery_id: int) -> Request:
    return Request(orjson.dumps(payload(notice)), {"Content-Type": "application/json"})
