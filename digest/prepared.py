"""`Prepared`: one claimed event after normalizing and grouping, as every digest step sees it."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from digest import grouping, summary


@dataclass
class Prepared:
    """An intake row ready to store: its canonical event data and its grouping."""

    intake_id: int
    project_id: int
    event_id: str
    received_at: datetime
    data: dict[str, Any]
    grouping: grouping.Grouping
    error: str = ""
    json: bytes | None = None  # `data` serialized, when the digest already did that
    timestamp: datetime = field(init=False)
    tags: dict[str, str] = field(init=False)  # SDK plus derived tags, aggregated per issue

    def __post_init__(self) -> None:
        self.timestamp = datetime.fromtimestamp(self.data["timestamp"], UTC)
        self.tags = summary.event_tags(self.data)
