"""sentry-cli's chunk upload: content-addressed pieces (SHA-1) of a bundle to assemble.

Chunks belong to no project until a bundle is assembled from them; they are kept for
`CHUNK_TTL` and deleted when assembled. A chunk is only stored if its content matches its
name, so one caller cannot plant content under another upload's checksum.
"""

import hashlib
import zlib
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from artifacts.errors import TooLarge, UploadRefused
from artifacts.models import UploadChunk

CHUNK_TTL = timedelta(hours=1)
CHUNKS_PER_REQUEST = 8
CHUNK_FIELDS = ("file", "file_gzip")  # sentry-cli's field names: plain and gzip
_STEP = 64 * 1024


def max_request_bytes() -> int:
    # Room for the multipart framing of every part.
    return CHUNKS_PER_REQUEST * settings.ARTIFACT_MAX_CHUNK_BYTES + 64 * 1024


def gunzip(data: bytes, limit: int) -> bytes:
    """Decompress a gzip chunk, at most `limit` bytes out (a bomb stops at the limit)."""
    decoder = zlib.decompressobj(wbits=47)  # gzip or zlib header
    out = bytearray()
    pending = data
    try:
        while pending:
            out += decoder.decompress(pending, _STEP)
            if len(out) > limit:
                raise TooLarge(f"A chunk decompresses past {limit} bytes.")
            pending = decoder.unconsumed_tail
            if decoder.eof:
                break
    except zlib.error as exc:
        raise UploadRefused(f"A chunk is not valid gzip: {exc}") from None
    return bytes(out)


def store(parts: Iterable[tuple[str, str, bytes]]) -> int:
    """Store `(field, name, raw bytes)` parts; returns how many chunks are new."""
    limit = settings.ARTIFACT_MAX_CHUNK_BYTES
    rows = {}
    for field, name, raw in parts:
        if field not in CHUNK_FIELDS:
            raise UploadRefused(f"Unknown form field {field[:50]!r}; use file or file_gzip.")
        if len(raw) > limit:
            raise TooLarge(f"A chunk is {len(raw)} bytes; the limit is {limit}.")
        data = gunzip(raw, limit) if field == "file_gzip" else raw
        checksum = hashlib.sha1(data).hexdigest()
        if checksum != name.lower():
            raise UploadRefused("A chunk's content does not match its SHA-1 name.")
        rows[checksum] = data
    prune()
    known = set(UploadChunk.objects.filter(pk__in=rows).values_list("pk", flat=True))
    new = [UploadChunk(checksum=c, data=d, size=len(d)) for c, d in rows.items() if c not in known]
    try:
        with transaction.atomic():
            UploadChunk.objects.bulk_create(new, ignore_conflicts=True)
    except IntegrityError:  # a parallel request stored the same content first
        pass
    return len(new)


def concatenate(parts: list[str], total: str, limit: int, what: str) -> bytes:
    """The upload made of `parts`, checked against its SHA-1 `total`; at most `limit` bytes
    (counted before anything is read: past it, the chunks are deleted and it is a 413)."""
    sizes = dict(UploadChunk.objects.filter(pk__in=parts).values_list("pk", "size"))
    if sum(sizes[p] for p in parts) > limit:
        UploadChunk.objects.filter(pk__in=parts).delete()
        raise TooLarge(f"The {what} is larger than {limit} bytes.")
    blobs = dict(UploadChunk.objects.filter(pk__in=parts).values_list("pk", "data"))
    data = b"".join(bytes(blobs[p]) for p in parts)
    if hashlib.sha1(data).hexdigest() != total:
        raise UploadRefused("The chunks do not add up to the checksum.")
    return data


def missing(checksums: list[str]) -> list[str]:
    known = set(UploadChunk.objects.filter(pk__in=checksums).values_list("pk", flat=True))
    return [c for c in checksums if c not in known]


def prune() -> None:
    UploadChunk.objects.filter(created_at__lt=timezone.now() - CHUNK_TTL).delete()
