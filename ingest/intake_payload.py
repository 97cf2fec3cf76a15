"""How an accepted event's JSON is kept in the intake queue: zstd level 1.

Far fewer bytes for the database to write, and small enough to stay inline in the heap
page on PostgreSQL (the table's toast_tuple_target is raised; see migration 0003).
Every writer goes through `ingest.queue` (SDK requests, the setup page's test event), so
every row is packed; what it bought is in docs/performance.md (bench/intake_insert.py).
"""

import threading

import zstandard

_local = threading.local()  # zstandard (de)compressors must not be shared between threads


def pack(event_json: bytes) -> bytes:
    compressor = getattr(_local, "compressor", None)
    if compressor is None:
        compressor = _local.compressor = zstandard.ZstdCompressor(level=1)
    return compressor.compress(event_json)


def unpack(stored: bytes | memoryview) -> bytes:
    data = bytes(stored)
    decompressor = getattr(_local, "decompressor", None)
    if decompressor is None:
        decompressor = _local.decompressor = zstandard.ZstdDecompressor()
    try:
        # pack() writes the content size into the frame, so this is one exact allocation.
        return decompressor.decompress(data)
    except zstandard.ZstdError:
        # Damaged (or written before payloads were packed): handed on as it is, so the digest
        # stores it, as an unprocessable event if it is not JSON. Nothing is dropped.
        return data
