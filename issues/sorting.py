"""Issue sort orders: one table for the UI's and the API's names."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SortOrder:
    name: str  # Sentry's API name (`sort=date`)
    ui_name: str  # the UI's name in list URLs, kept so that saved links still sort
    label: str
    order_by: tuple[str, ...]  # the id breaks ties, so pages never overlap


ORDERS: tuple[SortOrder, ...] = (
    SortOrder("date", "last_seen", "Last seen", ("-last_seen", "-id")),
    SortOrder("new", "first_seen", "First seen", ("-first_seen", "-id")),
    SortOrder("freq", "events", "Events", ("-event_count", "-id")),
    # Needs the `user_count` annotation (issues/users.py), which every issue list adds.
    SortOrder("user", "users", "Users", ("-user_count", "-id")),
)
DEFAULT = ORDERS[0]
_BY_NAME = {name: order for order in ORDERS for name in (order.name, order.ui_name)}


def find(name: str) -> SortOrder | None:
    """The order called `name` in either interface."""
    return _BY_NAME.get(name)
