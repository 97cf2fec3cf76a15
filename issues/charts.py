"""Server-rendered SVG charts from IssueBucket rows (no chart library, no script).

The issue page's chart covers one `Range` (24 hours by the hour, 14 or 90 days by the day)
and is read with one aggregate query: from the hourly buckets, or, for one environment
(buckets carry none), from that environment's stored events. The list's sparklines are one
plain bucket query for the whole page and carry no axes.
"""

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Sum
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from events.models import Event
from issues import environments
from issues.models import IssueBucket

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Range:
    key: str  # the `?range=` value
    label: str
    slots: int
    step: timedelta  # HOUR or DAY
    tick_every: int  # an x label on every nth slot, counted from the epoch so they stay put
    tip_format: str

    def start(self, now: datetime) -> datetime:
        return floor(now, self.step) - self.step * (self.slots - 1)

    def tick_label(self, slot: datetime) -> str:
        if self.step == HOUR and slot.hour:
            return slot.strftime("%H:00")
        return slot.strftime("%b %d")


RANGES = {
    r.key: r
    for r in (
        Range("24h", "24 hours", 24, HOUR, 6, "%Y-%m-%d %H:00 UTC"),
        Range("14d", "14 days", 14, DAY, 2, "%a %Y-%m-%d"),
        Range("90d", "90 days", 90, DAY, 15, "%a %Y-%m-%d"),
    )
}
DEFAULT_RANGE = RANGES["24h"]


def pick_range(value: str) -> Range:
    """The range `?range=` names; anything else is the default."""
    return RANGES.get(value, DEFAULT_RANGE)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int
    label: str  # the tooltip: "3 events, 2026-03-01 14:00 UTC"


@dataclass(frozen=True)
class Tick:
    at: float  # y of a gridline, or x of a time label's centre
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
    # Charts with axes only: the plot area inside the margins, gridlines and time labels.
    plot: tuple[float, float, float, float] | None = None  # left, top, width, height
    slot_width: float = 0
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)


def floor(moment: datetime, step: timedelta) -> datetime:
    hour = moment.replace(minute=0, second=0, microsecond=0)
    return hour.replace(hour=0) if step == DAY else hour


def slot_counts(
    rows: Iterable[tuple[datetime, int]], rng: Range, now: datetime | None = None
) -> list[tuple[datetime, int]]:
    """Counts per slot of the range (oldest first), zeros where no row is; rows outside it
    (an event whose clock ran behind) are dropped."""
    start = rng.start(now or timezone.now())
    by_slot: dict[datetime, int] = defaultdict(int)
    for moment, count in rows:
        by_slot[floor(moment, rng.step)] += count
    return [(start + rng.step * i, by_slot.get(start + rng.step * i, 0)) for i in range(rng.slots)]


def events_label(count: int) -> str:
    return f"{count} event{'' if count == 1 else 's'}"


def compact(n: int) -> str:
    """Axis labels: 950, 1.5k, 20k, 3M."""
    for size, unit in ((1_000_000, "M"), (1_000, "k")):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + unit
    return str(n)


def nice_step(peak: int) -> int:
    """The gridline step: the smallest 1, 2 or 5 x 10^k that reaches the peak in two steps."""
    if peak <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(peak / 2))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude * 2 >= peak)


def build(
    series: list[tuple[datetime, int]],
    width: int,
    height: int,
    fmt: str,
    gap: float = 1,
) -> Chart:
    """A sparkline: bars scaled to the peak, no axes; empty slots draw nothing."""
    peak = max((c for _, c in series), default=0)
    slot = width / max(len(series), 1)
    bars = [
        _bar(i * slot, slot, gap, height, 0, count, peak, f"{events_label(count)}, {moment:{fmt}}")
        for i, (moment, count) in enumerate(series)
        if count
    ]
    return Chart(width, height, bars, sum(c for _, c in series), peak, *_ends(series, fmt))


# The issue page's chart, in viewBox units: margins for the count labels (left) and the
# time labels (below), and a little room on the right for the last label's overhang.
LEFT, TOP, RIGHT, BOTTOM = 36.0, 6.0, 16.0, 18.0
PLOT_WIDTH, PLOT_HEIGHT = 960.0, 110.0


def build_with_axes(series: list[tuple[datetime, int]], rng: Range) -> Chart:
    """Bars for every slot (an empty one keeps its tooltip), scaled to a round top; two or
    three count gridlines (0 included) and time labels on aligned slots."""
    peak = max((c for _, c in series), default=0)
    step = nice_step(peak)
    top = step * max(math.ceil(peak / step), 1) if peak else 0
    slot = PLOT_WIDTH / max(len(series), 1)
    gap = 1 if slot < 8 else 2
    bars = [
        _bar(
            LEFT + i * slot,
            slot,
            gap,
            PLOT_HEIGHT,
            TOP,
            count,
            top,
            f"{events_label(count)}, {moment:{rng.tip_format}}",
        )  # fmt: skip
        for i, (moment, count) in enumerate(series)
    ]
    y_ticks = [
        Tick(round(TOP + PLOT_HEIGHT - (v / top if top else 0) * PLOT_HEIGHT, 2), compact(v))
        for v in range(0, top + 1, step)
    ]
    steps = rng.step.total_seconds()
    x_ticks = [
        Tick(round(LEFT + (i + 0.5) * slot, 2), rng.tick_label(moment))
        for i, (moment, _) in enumerate(series)
        if int(moment.timestamp() // steps) % rng.tick_every == 0
    ]
    return Chart(
        width=int(LEFT + PLOT_WIDTH + RIGHT),
        height=int(TOP + PLOT_HEIGHT + BOTTOM),
        bars=bars,
        total=sum(c for _, c in series),
        peak=peak,
        start_label=series[0][0].strftime(rng.tip_format) if series else "",
        end_label=series[-1][0].strftime(rng.tip_format) if series else "",
        plot=(LEFT, TOP, PLOT_WIDTH, PLOT_HEIGHT),
        slot_width=round(slot, 2),
        y_ticks=y_ticks,
        x_ticks=x_ticks,
    )


def _bar(
    x: float, slot: float, gap: float, height: float, top: float, count: int, scale: int, tip: str
) -> Bar:
    h = max(1.0, (count / scale) * (height - 1)) if count else 0.0
    return Bar(
        x=round(x, 2),
        y=round(top + height - h, 2),
        width=round(max(slot - gap, 0.5), 2),
        height=round(h, 2),
        count=count,
        label=tip,
    )


def _ends(series: list[tuple[datetime, int]], fmt: str) -> tuple[str, str]:
    if not series:
        return "", ""
    return series[0][0].strftime(fmt), series[-1][0].strftime(fmt)


def _sparklines(
    rows: Iterable[tuple[int, datetime, int]], keys: list[int], now: datetime
) -> dict[int, Chart]:
    """One 24-hour sparkline per key from (key, hour, count) rows."""
    by_key: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for key, hour, count in rows:
        by_key[key].append((hour, count))
    return {
        k: build(slot_counts(by_key.get(k, []), DEFAULT_RANGE, now), 96, 24, "%H:00 UTC")
        for k in keys
    }


def sparklines(issue_ids: list[int], now: datetime | None = None) -> dict[int, Chart]:
    """24-hour sparklines for many issues in one query (all environments: the list filters
    issues by environment, but the sparkline stays this one cheap query)."""
    now = now or timezone.now()
    rows = IssueBucket.objects.filter(
        issue_id__in=issue_ids, hour__gte=DEFAULT_RANGE.start(now)
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
            hour__gte=DEFAULT_RANGE.start(now),
        )
        .values("issue__project_id", "hour")
        .annotate(total=Sum("count"))
        .values_list("issue__project_id", "hour", "total")
    )
    return _sparklines(rows, project_ids, now)


Trunc = Callable[[str], TruncHour | TruncDay]


def _trunc(rng: Range) -> Trunc:
    return TruncHour if rng.step == HOUR else TruncDay


def range_rows(
    issue_id: int, rng: Range, environment: str = "", now: datetime | None = None
) -> list[tuple[datetime, int]]:
    """(slot, count) for the range in one aggregate query, summed by the database.

    Without an environment: the buckets, bounded by the (issue, hour) unique index. With
    one: that environment's newest `environments.EVENTS_READ` stored events in the range, by
    their timestamp's hour or day (as the digest buckets them)."""
    start = rng.start(now or timezone.now())
    trunc = _trunc(rng)
    if not environment:
        buckets = IssueBucket.objects.filter(issue_id=issue_id, hour__gte=start)
        per_slot = buckets.annotate(slot=trunc("hour")).values("slot").annotate(n=Sum("count"))
        return list(per_slot.order_by().values_list("slot", "n"))
    events = Event.objects.filter(issue_id=issue_id, environment=environment)
    newest = events.filter(received_at__gte=start).order_by("-received_at")
    events = Event.objects.filter(pk__in=newest.values("pk")[: environments.EVENTS_READ])
    in_env = events.annotate(slot=trunc("timestamp")).values("slot").annotate(n=Count("id"))
    return list(in_env.order_by().values_list("slot", "n"))


def issue_chart(
    issue_id: int, rng: Range, environment: str = "", now: datetime | None = None
) -> Chart:
    now = now or timezone.now()
    return build_with_axes(slot_counts(range_rows(issue_id, rng, environment, now), rng, now), rng)
