"""Chart geometry (issues/charts.py) and its SVG (the `svg_chart` tag): axes, ranges, edges."""

from datetime import UTC, datetime, timedelta

import pytest

from issues import charts
from issues.templatetags.issue_tags import svg_chart

NOW = datetime(2026, 3, 10, 14, 25, tzinfo=UTC)
H24, D14, D90 = charts.RANGES["24h"], charts.RANGES["14d"], charts.RANGES["90d"]


def chart(rng: charts.Range, rows: list[tuple[datetime, int]]) -> charts.Chart:
    return charts.build_with_axes(charts.slot_counts(rows, rng, NOW), rng)


def labels(ticks: list[charts.Tick]) -> list[str]:
    return [t.label for t in ticks]


@pytest.mark.parametrize("value", ["", "7d", "24H", "24h\x00", "x" * 5000, "90d "])
def test_an_unknown_range_is_the_default(value):
    assert charts.pick_range(value) is charts.DEFAULT_RANGE is H24


def test_24_hours_are_hourly_bars_ending_with_the_current_hour():
    c = chart(H24, [(NOW - timedelta(minutes=20), 3), (NOW - timedelta(hours=23), 1)])
    assert len(c.bars) == 24 and c.total == 4 and c.peak == 3
    assert c.bars[-1].label == "3 events, 2026-03-10 14:00 UTC"
    assert c.bars[0].label == "1 event, 2026-03-09 15:00 UTC"
    # Time labels every six hours, midnight by its date; each under the middle of its slot.
    assert labels(c.x_ticks) == ["18:00", "Mar 10", "06:00", "12:00"]
    slot = charts.PLOT_WIDTH / 24
    assert c.x_ticks[0].at == pytest.approx(charts.LEFT + 3.5 * slot, abs=0.01)


def test_rows_outside_the_range_are_dropped():
    c = chart(H24, [(NOW - timedelta(hours=24), 50), (NOW + timedelta(hours=2), 9)])
    assert c.total == 0


def test_14_days_are_daily_bars_with_a_label_every_other_day():
    rows = [(NOW - timedelta(days=d, hours=h), 1) for d in range(20) for h in (0, 5)]
    c = chart(D14, rows)
    assert len(c.bars) == 14 and c.total == 28  # the six older days are outside
    assert c.bars[-1].label == "2 events, Tue 2026-03-10"
    assert len(c.x_ticks) == 7 and all(t.label[:3] in ("Feb", "Mar") for t in c.x_ticks)


def test_90_days_are_90_daily_bars_with_a_handful_of_labels():
    rows = [(NOW - timedelta(days=d), d + 1) for d in range(90)]
    c = chart(D90, rows)
    assert len(c.bars) == 90 and c.peak == 90
    assert c.bars[0].label.endswith("2025-12-11") and c.bars[0].count == 90
    assert 5 <= len(c.x_ticks) <= 7
    xs = [t.at for t in c.x_ticks]
    assert xs == sorted(xs) and xs[0] > charts.LEFT and xs[-1] < charts.LEFT + charts.PLOT_WIDTH
    assert all(b.width > 0 and b.x + b.width <= charts.LEFT + charts.PLOT_WIDTH for b in c.bars)


@pytest.mark.parametrize(
    "peak,ticks",
    [
        (1, ["0", "1"]),
        (2, ["0", "1", "2"]),
        (3, ["0", "2", "4"]),
        (7, ["0", "5", "10"]),
        (10, ["0", "5", "10"]),
        (11, ["0", "10", "20"]),
        (1234, ["0", "1k", "2k"]),
        (3_100_000, ["0", "2M", "4M"]),
    ],
)
def test_the_count_axis_has_two_or_three_round_gridlines(peak, ticks):
    c = chart(H24, [(NOW, peak)])
    assert labels(c.y_ticks) == ticks
    # The baseline is the plot's bottom, the top gridline its top; bars scale to the top.
    bottom, top = charts.TOP + charts.PLOT_HEIGHT, charts.TOP
    assert c.y_ticks[0].at == bottom and c.y_ticks[-1].at == top
    bar = c.bars[-1]
    assert bar.y + bar.height == pytest.approx(bottom)
    assert bar.height <= charts.PLOT_HEIGHT


def test_an_empty_range_draws_a_baseline_and_time_labels_but_no_bars():
    c = chart(D14, [])
    assert c.total == 0 and c.peak == 0
    assert labels(c.y_ticks) == ["0"]
    assert all(b.height == 0 for b in c.bars) and len(c.x_ticks) == 7
    svg = str(svg_chart(c, "big"))
    assert 'class="bar"' not in svg and svg.count('class="hit"') == 14
    assert "<title>0 events, " in svg and 'aria-label="0 events from' in svg


def test_one_bucket_gives_one_bar_at_full_height():
    c = chart(H24, [(NOW - timedelta(hours=5), 4)])
    drawn = [b for b in c.bars if b.count]
    assert len(drawn) == 1 and drawn[0].height == pytest.approx(charts.PLOT_HEIGHT - 1)
    svg = str(svg_chart(c, "big"))
    assert svg.count('class="bar"') == 1
    assert "<title>4 events, 2026-03-10 09:00 UTC</title>" in svg


def test_the_svg_has_gridlines_count_labels_and_time_labels():
    svg = str(svg_chart(chart(H24, [(NOW, 10)]), "big"))
    assert svg.count('class="grid"') == 3 and svg.count('class="ylabel"') == 3
    assert ">10</text>" in svg and ">5</text>" in svg and ">0</text>" in svg
    assert svg.count('class="xlabel"') == 4 and ">12:00</text>" in svg
    assert 'class="axis"' in svg and "style=" not in svg


def test_sparklines_stay_without_axes_and_draw_only_busy_hours():
    c = charts.build(charts.slot_counts([(NOW, 2), (NOW - timedelta(hours=3), 1)], H24, NOW),
                     96, 24, "%H:00 UTC")  # fmt: skip
    assert c.plot is None and c.y_ticks == [] and len(c.bars) == 2
    svg = str(svg_chart(c, "spark"))
    assert 'class="grid"' not in svg and "<title>2 events, 14:00 UTC</title>" in svg


@pytest.mark.parametrize(
    "n,text", [(0, "0"), (999, "999"), (1000, "1k"), (1500, "1.5k"), (20_000, "20k")]
)
def test_count_labels_are_compact(n, text):
    assert charts.compact(n) == text
