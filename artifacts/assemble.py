"""Assemble uploaded chunks into one project's bundle: what sentry-cli's assemble call does.

One call either answers which chunks are still missing (sentry-cli uploads those and asks
again), or checks the whole archive and stores it in one transaction. Any refusal stores
nothing; the chunks of a refused bundle are deleted with it.
"""

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from artifacts import archive, chunks, manifest, quotas, storage
from artifacts.errors import TooLarge, UploadRefused
from artifacts.models import ArtifactBundle, ArtifactFile, FileKind, UploadChunk
from artifacts.validate import check_source_map
from projects.models import Project

_SHA1 = re.compile(r"^[0-9a-f]{40}$")


@dataclass
class Assembly:
    """sentry-cli's `AssembleArtifactsResponse`."""

    state: str  # "ok", "not_found" (chunks missing) or "error"
    missing_chunks: list[str] = field(default_factory=list)
    detail: str | None = None

    def as_json(self) -> dict:
        return {"state": self.state, "missingChunks": self.missing_chunks, "detail": self.detail}


def _sha1s(value: object, what: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out = [v.lower() for v in items if isinstance(v, str) and _SHA1.match(v.lower())]
    if len(out) != len(items):
        raise UploadRefused(f"{what} must be SHA-1 hex digests.")
    return out


def assemble(
    projects: list[Project], checksum: object, chunk_list: object, release: str, dist: str
) -> Assembly:
    (total,) = _sha1s(checksum, "checksum")
    parts = _sha1s(chunk_list, "chunks")
    if not parts:
        raise UploadRefused("chunks must not be empty.")
    if (len(parts) - 1) * settings.ARTIFACT_MAX_CHUNK_BYTES >= settings.ARTIFACT_MAX_BUNDLE_BYTES:
        raise TooLarge(f"The bundle is larger than {settings.ARTIFACT_MAX_BUNDLE_BYTES} bytes.")
    have = set(
        ArtifactBundle.objects.filter(project__in=projects, checksum=total).values_list(
            "project_id", flat=True
        )
    )
    todo = [p for p in projects if p.pk not in have]
    if not todo:
        return Assembly("ok")
    missing = chunks.missing(parts)
    if missing:
        return Assembly("not_found", missing)
    data = chunks.concatenate(parts, total, settings.ARTIFACT_MAX_BUNDLE_BYTES, "bundle")
    try:
        bundle = _check(data)
    finally:
        UploadChunk.objects.filter(pk__in=parts).delete()
    release = release or bundle.attributes.get("release", "")
    dist = dist or bundle.attributes.get("dist", "")
    with transaction.atomic():
        for project in todo:
            _store(project, total, bundle, release[:250], dist[:64])
    return Assembly("ok")


def _check(data: bytes) -> manifest.Manifest:
    bundle = manifest.read(archive.open_archive(data))
    for f in bundle.files:
        if f.kind == FileKind.SOURCE_MAP:
            check_source_map(f.url, f.content)
    return bundle


def _store(
    project: Project, checksum: str, bundle: manifest.Manifest, release: str, dist: str
) -> None:
    packed = [(f, storage.pack(f.content)) for f in bundle.files]
    size = sum(len(blob) for _, blob in packed)
    if size > settings.ARTIFACT_MAX_BYTES_PER_PROJECT:
        raise TooLarge(
            f"The bundle needs {size} bytes; a project keeps at most "
            f"{settings.ARTIFACT_MAX_BYTES_PER_PROJECT}."
        )
    row = ArtifactBundle.objects.create(
        project=project,
        checksum=checksum,
        bundle_id=manifest.normalize_debug_id(bundle.attributes.get("debug_id")),
        release=release,
        dist=dist,
        file_count=len(packed),
        size=size,
    )
    ArtifactFile.objects.bulk_create(
        ArtifactFile(
            project=project,
            bundle=row,
            kind=f.kind,
            url=f.url,
            debug_id=f.debug_id,
            sourcemap=f.sourcemap,
            content=blob,
            size=len(f.content),
        )
        for f, blob in packed
    )
    quotas.enforce(project)
