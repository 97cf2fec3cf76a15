"""Per-issue numbers for lists, each fetched for a whole page in one query."""

from datetime import datetime, timedelta

from django.utils import timezone

from issues.models import IssueBucket

# Sentry's two series: hourly for a day, daily for two weeks.
SERIES = {"24h": (24, timedelta(hours=1)), "14d": (14, timedelta(days=1))}


def _floor(dt: datetime, step: timedelta) -> datetime:
    dt = dt.replace(minute=0, second=0, microsecond=0)
    return dt.replace(hour=0) if step >= timedelta(days=1) else dt


def series(issue_ids: list[int], name: str) -> dict[int, list[list[int]]]:
    """{issue id: [[epoch seconds, count], ...]} from the hourly buckets, oldest point first."""
    points, step = SERIES[name]
    end = _floor(timezone.now(), step)
    start = end - step * (points - 1)
    starts = [start + step * i for i in range(points)]
    counts: dict[int, dict[datetime, int]] = {pk: dict.fromkeys(starts, 0) for pk in issue_ids}
    buckets = IssueBucket.objects.filter(issue_id__in=issue_ids, hour__gte=start).values_list(
        "issue_id", "hour", "count"
    )
    for issue_id, hour, count in buckets:
        slot = _floor(hour, step)
        if slot in counts[issue_id]:
            counts[issue_id][slot] += count
    return {
        pk: [[int(t.timestamp()), n] for t, n in sorted(by_time.items())]
        for pk, by_time in counts.items()
    }
