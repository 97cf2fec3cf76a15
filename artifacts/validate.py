"""A source map is checked once, at upload: readable, and not too many mappings to parse."""

import orjson
from django.conf import settings
from symbolic.sourcemap import SourceMapView

from artifacts.errors import TooLarge, UploadRefused


def mapping_count(data: dict) -> int:
    """Segments in `mappings` (one per `,` or `;`), summed over an index map's sections,
    counted on the text before the map is parsed."""
    count = 0
    mappings = data.get("mappings")
    if isinstance(mappings, str):
        count += mappings.count(",") + mappings.count(";") + 1
    for section in data.get("sections") or []:
        if isinstance(section, dict) and isinstance(section.get("map"), dict):
            count += mapping_count(section["map"])
    return count


def check_source_map(url: str, content: bytes) -> None:
    try:
        data = orjson.loads(content)
    except orjson.JSONDecodeError:
        raise UploadRefused(f"{url[:200]!r} is not a JSON source map.") from None
    if not isinstance(data, dict):
        raise UploadRefused(f"{url[:200]!r} is not a source map.")
    count = mapping_count(data)
    if count > settings.ARTIFACT_MAX_MAPPINGS:
        raise TooLarge(
            f"{url[:200]!r} has {count} mappings; the limit is {settings.ARTIFACT_MAX_MAPPINGS}."
        )
    try:
        SourceMapView.from_json_bytes(content)
    except Exception as exc:  # symbolic raises its own error types for any bad map
        raise UploadRefused(f"{url[:200]!r} is not a readable source map: {exc}") from None
