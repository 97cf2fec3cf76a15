"""Replace the variable parts of a message with placeholders, so that messages group by shape.

Order matters: wider patterns (emails, URLs, UUIDs, dates) run before the numbers they contain.
Part of grouping: changing a pattern changes hashes, so it needs a new grouping version.
"""

import re
from functools import lru_cache

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("<email>", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("<url>", re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")),
    (
        "<uuid>",
        re.compile(
            r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
        ),
    ),
    (
        "<date>",
        re.compile(
            r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b"
            r"|\b\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\b"
            r"|\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} \w{3} \d{4}\b"
        ),
    ),
    ("<ip>", re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b")),
    (
        "<ip>",
        re.compile(
            r"\b(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}\b|\b(?:[0-9a-fA-F]{1,4}:){1,6}:(?:[0-9a-fA-F]{1,4})?\b"
        ),
    ),  # fmt: skip
    ("<hash>", re.compile(r"\b[0-9a-fA-F]{16,128}\b")),
    ("<hex>", re.compile(r"\b0[xX][0-9a-fA-F]+\b")),
    (
        "<duration>",
        re.compile(
            r"\b\d+(?:\.\d+)?\s?(?:ns|us|µs|ms|s|sec|secs|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)\b"
        ),
    ),
    ("<float>", re.compile(r"(?<![\w.])-?\d+\.\d+\b")),
    ("<int>", re.compile(r"(?<![\w.])-?\d+\b")),
]


@lru_cache(maxsize=1024)  # exception values repeat (cheap to look up, 11 regexes to compute)
def parameterize(text: str) -> str:
    for placeholder, pattern in _PATTERNS:
        text = pattern.sub(placeholder, text)
    return text
