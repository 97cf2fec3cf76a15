"""Microsoft Teams (a Workflows webhook): a message with one Adaptive Card attachment."""

import orjson

from alerts.channels.notice import Notice, Request

CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"


def card(notice: Notice) -> dict:
    body: list[dict] = [
        {"type": "TextBlock", "text": notice.headline, "weight": "Bolder", "size": "Medium"},
        {"type": "TextBlock", "text": notice.title[:250], "wrap": True},
    ]
    if notice.detail:
        body.append({"type": "TextBlock", "text": notice.detail, "wrap": True, "isSubtle": True})
    body += [
        {"type": "TextBlock", "text": i["title"][:150], "wrap": True} for i in notice.held_issues
    ]
    body.append({"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in notice.facts()]})
    return {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": "Open in Bugtrack", "url": notice.url}],
    }


def payload(notice: Notice) -> dict:
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card(notice),
            }
        ],
    }


def build(notice: Notice, secret: str, delivery_id: int) -> Request:
    return Request(orjson.dumps(payload(notice)), {"Content-Type": "application/json"})
