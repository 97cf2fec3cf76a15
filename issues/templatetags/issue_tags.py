"""Small template helpers for the issue pages."""

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

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
