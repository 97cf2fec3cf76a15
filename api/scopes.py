"""Token scopes, with Sentry's names. A write scope implies its read scope, as in Sentry."""

from collections.abc import Iterable

PROJECT_READ = "project:read"
PROJECT_WRITE = "project:write"
PROJECT_RELEASES = "project:releases"
EVENT_READ = "event:read"
EVENT_WRITE = "event:write"

SCOPES: dict[str, str] = {
    PROJECT_READ: "List projects and their settings",
    EVENT_READ: "Read issues and events",
    EVENT_WRITE: "Change issues: resolve, ignore, reopen",
    PROJECT_WRITE: "Change projects",
    PROJECT_RELEASES: "Releases and source maps (sentry-cli uploads)",
}
ALL = list(SCOPES)
READ_ONLY = [PROJECT_READ, EVENT_READ]

_IMPLIED_BY = {PROJECT_READ: {PROJECT_WRITE}, EVENT_READ: {EVENT_WRITE}}


class UnknownScope(ValueError):
    pass


def check_names(names: Iterable[str]) -> list[str]:
    """The scopes in a stable order; UnknownScope names the first that does not exist."""
    wanted = set(names)
    for name in sorted(wanted):
        if name not in SCOPES:
            raise UnknownScope(f"Unknown scope {name!r}; choose from {', '.join(ALL)}.")
    return [name for name in ALL if name in wanted]


def grants(held: Iterable[str], scope: str) -> bool:
    held = set(held)
    return scope in held or bool(held & _IMPLIED_BY.get(scope, set()))
