"""Breadcrumbs as the issue page shows them: one line each, timed relative to the event.

Every crumb is untrusted: any shape is tolerated (non-dicts skipped, odd fields shown as text).
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from events.presenters import as_dict, as_list, pairs, text, when

MAX_BREADCRUMBS = 200  # the newest ones; SDKs keep 100 by default
RECENT = 10  # shown open; the earlier ones sit behind a <details>
MAX_DATA_ROWS = 50
MAX_SUMMARY = 1000
HTTP_CATEGORIES = frozenset({"fetch", "xhr", "http"})
LEVELS = frozenset({"fatal", "error", "warning", "info", "debug"})
LEVEL_ALIASES = {"critical": "fatal", "warn": "warning", "log": "info"}


@dataclass
class CrumbView:
    kind: str  # picks the icon: http, navigation, console, ui, query, error, default
    category: str
    level: str  # as sent (shown)
    level_class: str  # one of LEVELS (CSS and icon)
    summary: str  # the one line: `GET url`, `from → to`, the message or key=value data
    status: str = ""  # HTTP status code as text, shown as `[404]`
    status_class: str = ""  # ok / redirect / bad
    offset: str = ""  # relative to the event: "-2.3s", "-1m 05s"
    absolute: str = ""  # for the title attribute
    data: list[tuple[str, str]] = field(default_factory=list)  # rows not already in summary


@dataclass
class Breadcrumbs:
    earlier: list[CrumbView]
    recent: list[CrumbView]
    omitted: int = 0  # past MAX_BREADCRUMBS, not shown at all

    @property
    def total(self) -> int:
        return len(self.earlier) + len(self.recent)


def present(payload: Any, event_time: datetime | None) -> Breadcrumbs:
    raw = as_list(as_dict(payload).get("breadcrumbs"))
    kept = raw[-MAX_BREADCRUMBS:]
    crumbs = [present_crumb(c, event_time) for c in kept if isinstance(c, dict)]
    split = max(len(crumbs) - RECENT, 0)
    return Breadcrumbs(earlier=crumbs[:split], recent=crumbs[split:], omitted=len(raw) - len(kept))


def present_crumb(crumb: dict, event_time: datetime | None) -> CrumbView:
    ctype = text(crumb.get("type"), 50).lower()
    category = text(crumb.get("category"), 200)
    level = text(crumb.get("level") or "info", 20)
    data = as_dict(crumb.get("data"))
    message = text(crumb.get("message"), MAX_SUMMARY)
    lowered = level.lower()
    view = CrumbView(
        kind=kind_of(ctype, category.lower(), lowered),
        category=category or ctype or "default",
        level=level,
        level_class=LEVEL_ALIASES.get(lowered, lowered if lowered in LEVELS else "info"),
        summary=message,
    )
    used: set[str] = set()
    rows = True
    if view.kind == "http" and (data.get("url") or data.get("method")):
        view.summary = " ".join(
            p for p in (text(data.get("method"), 20), text(data.get("url"), MAX_SUMMARY)) if p
        )
        view.status, view.status_class = status_of(data.get("status_code"))
        used = {"method", "url", "status_code"}
    elif view.kind == "navigation" and (data.get("from") or data.get("to")):
        view.summary = f"{text(data.get('from'), 500)} → {text(data.get('to'), 500)}"
        used = {"from", "to"}
    elif not message:  # the data is the summary, so no rows below it
        view.summary = compact(crumb.get("data"))
        rows = False
    if rows:
        view.data = data_rows(crumb.get("data"), used)
    moment = when(crumb.get("timestamp"))
    if moment is not None:
        view.absolute = moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"
        view.offset = relative(moment, event_time) if event_time else moment.strftime("%H:%M:%S")
    return view


def kind_of(ctype: str, category: str, level: str) -> str:
    if ctype == "http" or category in HTTP_CATEGORIES:
        return "http"
    if ctype == "navigation" or category == "navigation":
        return "navigation"
    if category == "console":
        return "console"
    if ctype in ("ui", "user") or category.startswith("ui."):
        return "ui"
    if ctype == "query" or category in ("query", "sql", "db.query"):
        return "query"
    if ctype == "error" or level in ("error", "fatal", "critical"):
        return "error"
    return "default"


def status_of(value: Any) -> tuple[str, str]:
    """The status code as sent (a number or a numeric string), with its class for colour."""
    if isinstance(value, bool) or value in (None, ""):
        return "", ""
    shown = text(value, 10)
    try:
        code = int(shown)
    except ValueError:
        return shown, ""
    return shown, "bad" if code >= 400 else "redirect" if code >= 300 else "ok"


def compact(data: Any) -> str:
    """Data as `key=value key=value`, bounded; anything else as its text."""
    if isinstance(data, dict):
        line = " ".join(f"{text(k, 100)}={text(v, 200)}" for k, v in list(data.items())[:20])
    else:
        line = text(data, MAX_SUMMARY)
    return line if len(line) <= MAX_SUMMARY else line[:MAX_SUMMARY] + "…"


def data_rows(data: Any, used: set[str]) -> list[tuple[str, str]]:
    if isinstance(data, dict):
        data = {k: v for k, v in list(data.items())[: MAX_DATA_ROWS + len(used)] if k not in used}
    return pairs(data)[:MAX_DATA_ROWS]


def relative(moment: datetime, event_time: datetime) -> str:
    """`-2.3s`, `-1m 05s`, `-2h 03m`, `-3d 04h`; `+` for crumbs after the event (clock skew)."""
    seconds = (moment - event_time).total_seconds()
    sign = "-" if seconds < 0 else "+" if seconds > 0 else ""
    left = abs(seconds)
    if round(left, 1) < 60:
        return f"{sign}{left:.1f}s"
    whole = round(left)
    for size, unit, rest, rest_unit in ((86400, "d", 3600, "h"), (3600, "h", 60, "m")):
        if whole >= size:
            return f"{sign}{whole // size}{unit} {whole % size // rest:02d}{rest_unit}"
    return f"{sign}{whole // 60}m {whole % 60:02d}s"
