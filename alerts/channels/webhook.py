"""Generic webhook: the JSON documented in docs/alerts.md, signed with the channel's secret
(X-Bugtrack-Signature: sha256=<hex of HMAC-SHA256 over the raw body>)."""

import hashlib
import hmac
from typing import Any

import orjson

from alerts.channels.notice import Notice, Request


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def payload(notice: Notice) -> dict[str, Any]:
    data: dict[str, Any] = {
        "action": notice.action,
        "project": {"name": notice.project, "slug": notice.project_slug},
        "url": notice.url,
        "text": notice.subject,
    }
    if notice.issue is not None:
        data["issue"] = notice.issue
        data["event"] = notice.event or {}
    if notice.rule is not None:
        data["rule"] = notice.rule
    if notice.action == "summary":
        data["held"] = notice.held
        data["issues"] = notice.held_issues
    if notice.detail:
        data["message"] = notice.detail
    return data


def build(notice: Notice, secret: str, delivery_id: int) -> Request:
    body = orjson.dumps(payload(notice))
    headers = {
        "Content-Type": "application/json",
        "X-Bugtrack-Event": notice.action,
        # The same id on every retry of this delivery: receivers can drop repeats.
        "X-Bugtrack-Delivery": str(delivery_id),
    }
    if secret:
        headers["X-Bugtrack-Signature"] = signature(secret, body)
    return Request(body, headers)
