"""An issue's tag values as the issue page shows them: counted by the digest, never by events."""

from issues.models import IssueTagValue


def tag_distribution(issue_id: int, top: int = 5) -> dict[str, list[tuple[str, int, int]]]:
    """Per tag key, the most frequent values for the issue with their share (one query)."""
    totals: dict[str, int] = {}
    values: dict[str, list[tuple[str, int]]] = {}
    for key, value, count in (
        IssueTagValue.objects.filter(issue_id=issue_id)
        .values_list("key", "value", "count")
        .order_by("key", "-count")[:2000]
    ):
        totals[key] = totals.get(key, 0) + count
        values.setdefault(key, []).append((value, count))
    return {
        key: [(v, c, round(100 * c / totals[key]) if totals[key] else 0) for v, c in vals[:top]]
        for key, vals in values.items()
    }
