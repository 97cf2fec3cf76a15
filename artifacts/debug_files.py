"""Assemble uploaded chunks into a project's debug files: sentry-cli's `difs/assemble`.

The request maps each file's SHA-1 to `{name, debug_id?, chunks}`; the answer says per file
`not_found` (with the chunks still missing: sentry-cli uploads them and asks again) or `ok`
with the stored file. Files are assembled in the request, so `created`/`assembling` never
last. Every complete file of a request is checked before any is stored; one refusal (not an
object file, too large) stores nothing and deletes that file's chunks.
"""

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from artifacts import chunks, debug_objects, quotas, storage
from artifacts.errors import TooLarge, UploadRefused
from artifacts.models import DebugFile, UploadChunk
from projects.models import Project

_SHA1 = re.compile(r"^[0-9a-f]{40}$")
MAX_FILES_PER_REQUEST = 1_000


@dataclass
class Wanted:
    checksum: str
    name: str
    debug_id: str  # "" when sentry-cli sent none
    chunks: list[str]


@dataclass
class DifState:
    """sentry-cli's `ChunkedDifResponse`, with the stored row instead of its JSON."""

    state: str  # "ok" or "not_found"
    missing_chunks: list[str] = field(default_factory=list)
    dif: DebugFile | None = None


def parse_request(body: object) -> list[Wanted]:
    if not isinstance(body, dict) or not body:
        raise UploadRefused("The body must map checksums to files.")
    if len(body) > MAX_FILES_PER_REQUEST:
        raise UploadRefused(f"At most {MAX_FILES_PER_REQUEST} files per request.")
    out = []
    for checksum, item in body.items():
        if not _SHA1.match(checksum.lower()) or not isinstance(item, dict):
            raise UploadRefused("Each key must be a SHA-1 naming a file object.")
        name, debug_id, parts = item.get("name"), item.get("debug_id") or "", item.get("chunks")
        if not isinstance(name, str) or not name or not isinstance(debug_id, str):
            raise UploadRefused("Each file needs a name; debug_id must be a string.")
        if (
            not isinstance(parts, list)
            or not parts
            or not all(isinstance(c, str) and _SHA1.match(c.lower()) for c in parts)
        ):
            raise UploadRefused("chunks must be a non-empty list of SHA-1 digests.")
        out.append(Wanted(checksum.lower(), name, debug_id.lower(), [c.lower() for c in parts]))
    return out


def _existing(project: Project, want: Wanted) -> DebugFile | None:
    rows = DebugFile.objects.filter(project=project, checksum=want.checksum).defer("content")
    if want.debug_id:
        rows = rows.filter(debug_id=want.debug_id)
    return rows.order_by("id").first()


def assemble(project: Project, wanted: list[Wanted]) -> dict[str, DifState]:
    limit = settings.ARTIFACT_MAX_DEBUG_FILE_BYTES
    states: dict[str, DifState] = {}
    ready: list[tuple[Wanted, bytes, list[debug_objects.DebugObject]]] = []
    for want in wanted:
        if (len(want.chunks) - 1) * settings.ARTIFACT_MAX_CHUNK_BYTES >= limit:
            raise TooLarge(f"{want.name[:200]!r} is larger than {limit} bytes.")
        if found := _existing(project, want):
            states[want.checksum] = DifState("ok", dif=found)
        elif missing := chunks.missing(want.chunks):
            states[want.checksum] = DifState("not_found", missing)
        else:
            try:
                data = chunks.concatenate(want.chunks, want.checksum, limit, "debug file")
                ready.append((want, data, _objects(data, want)))
            except UploadRefused:
                UploadChunk.objects.filter(pk__in=want.chunks).delete()
                raise
    with transaction.atomic():
        for want, data, objects in ready:
            states[want.checksum] = DifState("ok", dif=_store(project, want, data, objects))
        if ready:
            quotas.enforce_debug_files(project)
    UploadChunk.objects.filter(pk__in=[c for want, _, _ in ready for c in want.chunks]).delete()
    return states


def _objects(data: bytes, want: Wanted) -> list[debug_objects.DebugObject]:
    objects = debug_objects.read(data, want.name)
    if want.debug_id:
        objects = [o for o in objects if o.debug_id == want.debug_id]
        if not objects:
            raise UploadRefused(f"{want.name[:200]!r} has no object {want.debug_id[:64]!r}.")
    return objects


def _store(
    project: Project, want: Wanted, data: bytes, objects: list[debug_objects.DebugObject]
) -> DebugFile:
    """One row per object (a fat archive's architectures), each with the whole file."""
    blob = storage.pack(data)
    if len(blob) * len(objects) > settings.ARTIFACT_MAX_DEBUG_BYTES_PER_PROJECT:
        raise TooLarge(
            f"{want.name[:200]!r} needs {len(blob) * len(objects)} bytes; a project keeps at "
            f"most {settings.ARTIFACT_MAX_DEBUG_BYTES_PER_PROJECT}."
        )
    name = want.name.replace("\\", "/").rsplit("/", 1)[-1][:250]
    rows = [
        DebugFile.objects.get_or_create(
            project=project,
            checksum=want.checksum,
            debug_id=obj.debug_id[:64],
            defaults=dict(
                code_id=obj.code_id,
                object_name=name,
                cpu_name=obj.arch,
                file_format=obj.file_format,
                kind=obj.kind,
                features=obj.features,
                content=blob,
                file_size=len(data),
                size=len(blob),
            ),
        )[0]
        for obj in objects
    ]
    return rows[0]
