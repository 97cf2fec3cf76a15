"""The manifest of a sentry-cli bundle (symbolic's SourceBundle format) and its files."""

import re
from dataclasses import dataclass

import orjson

from artifacts.archive import SafeArchive
from artifacts.errors import UploadRefused
from artifacts.models import FileKind

MANIFEST = "manifest.json"
_DEBUG_ID = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")
_KINDS = {k.value for k in FileKind}


@dataclass
class BundleFile:
    kind: str
    url: str
    debug_id: str
    sourcemap: str
    content: bytes


@dataclass
class Manifest:
    attributes: dict[str, str]
    files: list[BundleFile]


def normalize_debug_id(value: object) -> str:
    """`85314830-023f-4cf1-a267-535f4e37bb17` (any case, with or without an appendix)."""
    text = value.strip().lower() if isinstance(value, str) else ""
    match = _DEBUG_ID.match(text)
    if not match:
        return ""
    plain = match.group(0).replace("-", "")
    return f"{plain[:8]}-{plain[8:12]}-{plain[12:16]}-{plain[16:20]}-{plain[20:]}"


def read(archive: SafeArchive) -> Manifest:
    try:
        data = orjson.loads(archive.read(MANIFEST))
    except orjson.JSONDecodeError:
        raise UploadRefused("The bundle's manifest.json is not JSON.") from None
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        raise UploadRefused("The bundle's manifest.json has no files.")
    attributes = {k: v for k, v in data.items() if isinstance(v, str)}
    files = []
    for path, info in data["files"].items():
        if not isinstance(info, dict):
            raise UploadRefused("A manifest entry is not an object.")
        kind = info.get("type")
        url = info.get("url")
        if kind not in _KINDS or not isinstance(url, str) or not url or len(url) > 1000:
            continue  # other kinds (e.g. native sources) are not ours to use
        headers = {str(k).lower(): v for k, v in (info.get("headers") or {}).items()}
        entry = path if path in archive.names else f"files/{path}"
        sourcemap = headers.get("sourcemap") or headers.get("x-sourcemap") or ""
        files.append(
            BundleFile(
                kind=kind,
                url=url,
                debug_id=normalize_debug_id(headers.get("debug-id")),
                sourcemap=sourcemap[:1000] if isinstance(sourcemap, str) else "",
                content=archive.read(entry),
            )
        )
    return Manifest(attributes, files)
