"""Server-rendered SVG charts from IssueBucket rows (no chart library, no script)."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Sum
from django.utils import timezone

from issues.models import IssueBucket


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int
    label: str


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar]
    total: int
    peak: int
    start_label: str
    end_label: str


def hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def hourly_counts(
    rows: Iterable[tuple[datetime, int]], hours: int, now: datetime | None = None
) -> list[tuple[datetime, int]]:
    """Counts for the last `hours` whole hours (oldest first), zeros where no bucket exists."""
    end = hour_floor(now or timezone.now())
    slots = [end - timedelta(hours=h) for h in range(hours - 1, -1, -1)]
    by_hour: dict[datetime, int] = defaultdict(int)
    for hour, count in rows:
        by_hour[hour_floor(hour)] += count
    return [(slot, by_hour.get(slot, 0)) for slot in slots]


def daily_counts(hourly: list[tuple[datetime, int]]) -> list[tuple[datetime, int]]:
    by_day: dict[datetime, int] = {}
    for hour, count in hourly:
        day = hour.replace(hour=0)
        by_day[day] = by_day.get(day, 0) + count
    return sorted(by_day.items())


def build(
    series: list[tuple[datetime, int]], width: int, height: int, fmt: str, gap: float = 1
) -> Chart:
    peak = max((c for _, c in series), default=0)
    n = max(len(series), 1)
    slot = width / n
    bars = []
    for i, (moment, count) in enumerate(series):
        if not count:  # empty slots draw nothing
            continue
        h = max(1.0, (count / peak) * (height - 1))
        bars.append(
            Bar(
                x=round(i * slot, 2),
                y=round(height - h, 2),
                width=round(max(slot - gap, 0.5), 2),
                height=round(h, 2),
                count=count,
                label=moment.strftime(fmt),
            )
        )
    return Chart(
        width=width,
        height=height,
        bars=bars,
        total=sum(c for _, c in series),
        peak=peak,
        start_label=series[0][0].strftime(fmt) if series else "",
        end_label=series[-1][0].strftime(fmt) if series else "",
    )


def _sparkline_start(now: datetime) -> datetime:
    return hour_floor(now) - timedelta(hours=23)


def _sparklines(
    rows: Iterable[tuple[int, datetime, int]], keys: list[int], now: datetime
) -> dict[int, Chart]:
    """One 24-hour sparkline per key from (key, hour, count) rows."""
    by_key: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for key, hour, count in rows:
        by_key[key].append((hour, count))
    return {k: build(hourly_counts(by_key.get(k, []), 24, now), 96, 24, "%H:00") for k in keys}


def sparklines(issue_ids: list[int], now: datetime | None = None) -> dict[int, Chart]:
    """24-hour sparklines for many issues in one query."""
    now = now or timezone.now()
    rows = IssueBucket.objects.filter(
        issue_id__in=issue_ids, hour__gte=_sparkline_start(now)
    ).values_list("issue_id", "hour", "count")
    return _sparklines(rows, issue_ids, now)


def project_sparklines(project_ids: list[int], now: datetime | None = None) -> dict[int, Chart]:
    """24-hour sparklines of all issues of each project, one grouped query for all projects;
    a chart's `total` is the project's events in those hours."""
    now = now or timezone.now()
    rows = (
        IssueBucket.objects.filter(
            issue__project_id__in=project_ids,
            issue__deleting=False,
            hour__gte=_sparkline_start(now),
        )
        .values("issue__project_id", "hour")
        .annotate(total=Sum("count"))
        .values_list("issue__project_id", "hour", "total")
    )
    return _sparklines(rows, project_ids, now)


def issue_charts(issue_id: int, now: datetime | None = None) -> dict[str, Chart]:
    """Events per hour (last 48h) and per day (last 30 days) for the issue page, one query."""
    now = now or timezone.now()
    since = hour_floor(now) - timedelta(days=30)
    rows = list(
        IssueBucket.objects.filter(issue_id=issue_id, hour__gte=since).values_list("hour", "count")
    )
    hourly = hourly_counts(rows, 30 * 24, now)
    return {
        "hours": build(hourly[-48:], 480, 80, "%b %d %H:00"),
        "days": build(daily_counts(hourly)[-30:], 480, 80, "%b %d", gap=2),
    }
