"""Per-issue aggregates over stored events: tag value counts and hourly buckets.

The digest adds each event to them (`digest/rollup.py`); retention subtracts the events it
deletes, so both tables hold exactly the stored events and stay bounded as events come and
go. The issue's own counters (`event_count`, first/last seen) stay totals of all events.
"""

from collections import Counter

from core.bulksql import delete_not_positive, upsert_add
from events.retention import Deleted
from issues.models import IssueBucket, IssueTagValue

TAG_KEY = ["issue_id", "key", "value"]
BUCKET_KEY = ["issue_id", "hour"]


def forget_events(rows: list[Deleted]) -> None:
    """Subtract deleted events; rows whose count reaches zero go. Same statements and lock
    order (sorted keys) as the digest's additions, so the two never deadlock."""
    tags: Counter[tuple[int, str, str]] = Counter()
    seen: dict[tuple[int, str, str], object] = {}
    buckets: Counter[tuple[int, object]] = Counter()
    for issue_id, timestamp, stored, level, release, environment, user in rows:
        for key, value in counted_tags(stored, level, release, environment, user).items():
            tags[(issue_id, key, value)] += 1
            seen[(issue_id, key, value)] = timestamp
        buckets[(issue_id, timestamp.replace(minute=0, second=0, microsecond=0))] += 1
    tag_keys = sorted(tags)
    # A negative count adds nothing to first/last seen: the event's time is already inside.
    upsert_add(IssueTagValue, TAG_KEY, [(*k, -tags[k], seen[k], seen[k]) for k in tag_keys])
    delete_not_positive(IssueTagValue, TAG_KEY, tag_keys)
    bucket_keys = sorted(buckets)
    upsert_add(
        IssueBucket, BUCKET_KEY, [(*k, -buckets[k]) for k in bucket_keys], first=None, last=None
    )
    delete_not_positive(IssueBucket, BUCKET_KEY, bucket_keys)


def counted_tags(
    stored: dict[str, str], level: str, release: str, environment: str, user: str
) -> dict[str, str]:
    """What the event added to the tag counts. Events stored before the tag limits kept only
    their SDK tags; the derived ones they were counted with are rebuilt from the columns
    (server_name, browser and os were in the payload only, and are not)."""
    if "level" in stored:  # every event is counted with a level tag since then
        return stored
    legacy = {"release": release, "environment": environment, "level": level, "user": user}
    tags = {k: v for k, v in legacy.items() if v}
    tags.update(stored)
    return {k[:200]: str(v)[:250] for k, v in tags.items()}
