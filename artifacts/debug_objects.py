"""What a debug information file holds, read with symbolic (Sentry's own reader).

An archive holds one object or several (a fat Mach-O: one per architecture). Objects without
a debug id (a stripped build without a build id) cannot be matched to a crash, so they count
as nothing; a file with none left is refused.
"""

from dataclasses import dataclass

from symbolic.debuginfo import Archive

from artifacts.errors import UploadRefused

NIL = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class DebugObject:
    debug_id: str
    code_id: str
    arch: str
    file_format: str
    kind: str
    features: list[str]


def read(data: bytes, name: str) -> list[DebugObject]:
    """The file's objects with a debug id; UploadRefused if it is no object file."""
    try:
        # symbolic reads `data` in place: it must stay referenced while objects are read.
        archive = Archive.from_bytes(data)
        objects = [
            DebugObject(
                debug_id=str(obj.debug_id).lower(),
                code_id=(obj.code_id or "").lower()[:64],
                arch=str(obj.arch)[:32],
                file_format=str(obj.file_format)[:32],
                kind=str(obj.kind)[:16],
                features=sorted(obj.features),
            )
            for obj in archive.iter_objects()
        ]
    except Exception as exc:  # symbolic raises its own error types for any unreadable file
        raise UploadRefused(f"{name[:200]!r} is not a debug information file: {exc}") from None
    usable = [o for o in objects if o.debug_id and not o.debug_id.startswith(NIL)]
    if not usable:
        raise UploadRefused(f"{name[:200]!r} has no debug identifier (stripped?).")
    return usable
