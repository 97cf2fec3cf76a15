"""What every channel's message says, independent of its format: built once per alert."""

from dataclasses import dataclass, field
from typing import Any

MAX_TITLE = 250


@dataclass(frozen=True)
class Notice:
    action: str  # created, regression, unignored, frequency, summary, test
    headline: str  # "New issue", "Regression", ...
    project: str
    project_slug: str
    title: str
    url: str  # the issue, or the project's issue list (summary, test)
    level: str = ""
    culprit: str = ""
    short_id: str = ""
    issue: dict[str, Any] | None = None  # the webhook's `issue` object
    event: dict[str, Any] | None = None  # the webhook's `event` object
    frames: list[dict[str, Any]] = field(default_factory=list)
    release: str = ""
    environment: str = ""
    detail: str = ""  # why (frequency rule), or the summary's/test's text
    held: int = 0
    held_issues: list[dict[str, str]] = field(default_factory=list)  # title, url
    rule: dict[str, Any] | None = None

    @property
    def subject(self) -> str:
        """One line: "[Backend] New issue: ValueError: boom"."""
        return f"[{self.project}] {self.headline}: {self.title}"[: MAX_TITLE + 60]

    @property
    def first_frame(self) -> str:
        if not self.frames:
            return ""
        frame = self.frames[0]
        line = f":{frame['lineno']}" if frame.get("lineno") is not None else ""
        return f"{frame['filename']}{line} in {frame['function']}"

    def facts(self) -> list[tuple[str, str]]:
        """Label/value pairs every format shows, the empty ones left out."""
        pairs = [
            ("Project", self.project),
            ("Level", self.level),
            ("Culprit", self.culprit),
            ("First frame", self.first_frame),
            ("Release", self.release),
            ("Environment", self.environment),
        ]
        return [(label, value) for label, value in pairs if value and value != "-"]

    def plain_text(self) -> str:
        """The message as plain lines (ntfy's body, chat fallbacks)."""
        lines = [self.subject]
        if self.detail:
            lines.append(self.detail)
        lines += [f"{label}: {value}" for label, value in self.facts()[1:]]
        lines += [f"- {i['title']}" for i in self.held_issues]
        lines.append(self.url)
        return "\n".join(lines)


@dataclass(frozen=True)
class Request:
    """What a channel sends: always a POST to the channel's URL."""

    body: bytes
    headers: dict[str, str]
