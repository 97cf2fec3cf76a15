"""Small template helpers for the issue pages."""

from typing import Any

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from issues import suggest

register = template.Library()


@register.filter
def get_item(mapping: dict, key: Any) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def ago_or_dash(value: Any) -> str:
    return "" if value is None else str(value)


def _tree(value: Any, depth: int = 0) -> str:
    """Any JSON as nested lists, every leaf escaped; depth and breadth are bounded."""
    if depth > 8:
        return '<span class="muted">…</span>'
    if isinstance(value, dict):
        items = [
            format_html(
                "<li><span class='gkey'>{}</span> {}</li>", k, mark_safe(_tree(v, depth + 1))
            )
            for k, v in list(value.items())[:200]
        ]
        return "<ul class='gtree'>" + "".join(items) + "</ul>" if items else "<code>{}</code>"
    if isinstance(value, list):
        items = [format_html("<li>{}</li>", mark_safe(_tree(v, depth + 1))) for v in value[:200]]
        return "<ul class='gtree'>" + "".join(items) + "</ul>" if items else "<code>[]</code>"
    return format_html("<code>{}</code>", "null" if value is None else value)


@register.simple_tag
def grouping_tree(components: Any) -> str:
    if components in (None, [], {}, ""):
        return mark_safe('<p class="muted">No grouping details were recorded.</p>')
    return mark_safe(_tree(components))  # noqa: S308 - built only from format_html


@register.simple_tag
def svg_chart(chart: Any, cls: str = "") -> str:
    """The chart as inline SVG, built here because a template loop per row is too slow."""
    if chart is None:
        return ""
    label = f"{chart.total} events"
    if chart.start_label:
        label += f" from {chart.start_label} to {chart.end_label}"
    if chart.plot is not None:
        return _svg_with_axes(chart, cls, label)
    # Numbers only, and labels we formatted from dates: still escaped, cheaply.
    bars = "".join(
        f'<rect class="bar" x="{b.x:g}" y="{b.y:g}" width="{b.width:g}" height="{b.height:g}">'
        f"<title>{escape(b.label)}</title></rect>"
        for b in chart.bars
    )
    return format_html(
        '<svg class="chart {}" viewBox="0 0 {} {}" width="{}" height="{}" role="img" '
        'aria-label="{}" preserveAspectRatio="none">{}</svg>',
        cls, chart.width, chart.height, chart.width, chart.height, label, mark_safe(bars),
    )  # fmt: skip


def _svg_with_axes(chart: Any, cls: str, label: str) -> str:
    """Gridlines with count labels, time labels below, and per slot a group whose <title> is
    the native tooltip, over the slot's full height so that low bars are easy to hover."""
    left, top, width, height = chart.plot
    right, bottom = left + width, top + height
    grid = "".join(
        f'<line class="grid" x1="{left:g}" y1="{t.at:g}" x2="{right:g}" y2="{t.at:g}"/>'
        f'<text class="ylabel" x="{left - 4:g}" y="{t.at + 4:g}" text-anchor="end">'
        f"{escape(t.label)}</text>"
        for t in chart.y_ticks
    )
    times = "".join(
        f'<text class="xlabel" x="{t.at:g}" y="{bottom + 14:g}" text-anchor="middle">'
        f"{escape(t.label)}</text>"
        for t in chart.x_ticks
    )
    slots = "".join(
        f'<g class="slot"><title>{escape(b.label)}</title>'
        f'<rect class="hit" x="{b.x:g}" y="{top:g}" width="{chart.slot_width:g}" '
        f'height="{height:g}"/>'
        + (
            f'<rect class="bar" x="{b.x:g}" y="{b.y:g}" width="{b.width:g}" height="{b.height:g}"/>'
            if b.count
            else ""
        )
        + "</g>"
        for b in chart.bars
    )
    axis = f'<line class="axis" x1="{left:g}" y1="{bottom:g}" x2="{right:g}" y2="{bottom:g}"/>'
    return format_html(
        '<svg class="chart axes {}" viewBox="0 0 {} {}" role="img" aria-label="{}">'
        "{}</svg>",
        cls, chart.width, chart.height, label, mark_safe(grid + slots + axis + times),
    )  # fmt: skip


@register.filter
def ago(value: Any, now: Any = None) -> str:
    """A short relative time ("5 min ago"); cheaper than `timesince` in long lists."""
    from django.utils import timezone

    if value is None:
        return ""
    seconds = int((timezone.now() - value).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("day", 86400), ("hour", 3600), ("min", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 and unit != 'min' else ''} ago"
    return ""


@register.inclusion_tag("issues/_search_help.html")
def search_help() -> dict[str, Any]:
    """The issue search's keys with an example each (`issues.suggest.HELP`)."""
    return {"help": suggest.HELP}
