"""Plain functions that build Sentry request bodies for the ingest tests."""

import uuid

import orjson


def event_body(**fields) -> dict:
    event = {
        "event_id": uuid.uuid4().hex,
        "platform": "python",
        "level": "error",
        "message": "something broke",
    }
    event.update(fields)
    return event


def envelope(
    *items: tuple[dict, bytes], header: dict | None = None, with_length: bool = True
) -> bytes:
    """Frame items as an envelope; each item is (item header without length, payload)."""
    lines = [orjson.dumps(header if header is not None else {})]
    for item_header, payload in items:
        h = dict(item_header)
        if with_length:
            h["length"] = len(payload)
        lines += [orjson.dumps(h), payload]
    return b"\n".join(lines) + b"\n"


def event_envelope(event: dict, header: dict | None = None, **kw) -> bytes:
    if header is None:
        header = {"event_id": event.get("event_id")} if event.get("event_id") else {}
    return envelope(({"type": "event"}, orjson.dumps(event)), header=header, **kw)


def client_report(*discarded: tuple[str, str, int]) -> tuple[dict, bytes]:
    payload = {
        "timestamp": 1700000000.0,
        "discarded_events": [
            {"reason": reason, "category": category, "quantity": quantity}
            for reason, category, quantity in discarded
        ],
    }
    return {"type": "client_report"}, orjson.dumps(payload)
