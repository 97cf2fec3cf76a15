"""JSON responses in the shape Sentry's API uses (errors carry a `detail`)."""

from typing import Any

import orjson
from django.http import HttpResponse

NOT_FOUND = "The requested resource does not exist"


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    # orjson rather than Django's encoder: event payloads can be large and this is the hot path.
    body = orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
    return HttpResponse(body, status=status, content_type="application/json", headers=headers)


def error(status: int, detail: str, headers: dict[str, str] | None = None) -> HttpResponse:
    return json_response({"detail": detail}, status=status, headers=headers)
