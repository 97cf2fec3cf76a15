"""Capture one real event from the installed sentry-sdk, as it would be sent.

Run as a script (`python bench/capture.py out.json`) so that the SDK's global state never
touches the process that drives the benchmark. A recording transport keeps the envelope
instead of sending it; we keep the event item's JSON.
"""

import json
import logging
import sys
from decimal import Decimal
from typing import Any

import sentry_sdk
from sentry_sdk.transport import Transport

captured: list[dict[str, Any]] = []


class RecordingTransport(Transport):
    def capture_envelope(self, envelope: Any) -> None:
        for item in envelope.items:
            if item.type == "event":
                captured.append(json.loads(item.payload.get_bytes()))


# A small but realistic application: a request handler, a service and a parser.
def parse_amount(raw: str, currency: str) -> Decimal:
    cleaned = raw.replace(",", "").strip()
    if not cleaned.replace(".", "", 1).isdigit():
        raise ValueError(f"invalid amount {raw!r} for {currency}")
    return Decimal(cleaned)


def load_order(order_id: int, lines: list[dict[str, str]]) -> dict[str, Any]:
    total = Decimal(0)
    for line in lines:
        total += parse_amount(line["amount"], line["currency"])
    return {"id": order_id, "total": total}


def handle_request(path: str, params: dict[str, str]) -> dict[str, Any]:
    log = logging.getLogger("shop.checkout")
    log.info("checkout started for %s", path)
    lines = [{"amount": "12.50", "currency": "EUR"}, {"amount": "1O.00", "currency": "EUR"}]
    return load_order(int(params["order"]), lines)


def capture() -> dict[str, Any]:
    sentry_sdk.init(
        dsn="http://0123456789abcdef0123456789abcdef@127.0.0.1:9/1",
        transport=RecordingTransport,
        release="shop@2.4.1",
        environment="production",
        server_name="web-3",
        send_default_pii=True,
    )
    sentry_sdk.set_user({"id": "4711", "email": "jane@example.com", "ip_address": "10.0.0.7"})
    sentry_sdk.set_tag("customer_tier", "gold")
    sentry_sdk.set_tag("region", "eu-west-1")
    sentry_sdk.set_context("order", {"id": 81723, "items": 2, "coupon": None})
    for i in range(3):
        sentry_sdk.add_breadcrumb(category="query", message=f"SELECT … WHERE id={i}")
    try:
        handle_request("/checkout/81723", {"order": "81723", "step": "pay"})
    except ValueError:
        sentry_sdk.capture_exception()
    sentry_sdk.flush()
    if not captured:
        raise RuntimeError("sentry-sdk produced no event")
    return captured[0]


if __name__ == "__main__":
    event = capture()
    with open(sys.argv[1], "w") as f:
        json.dump(event, f)
    print(len(json.dumps(event)))
