"""How an accepted event's JSON is kept in the intake queue: zstd level 1.

A third of the bytes for the database to write, and small enough to stay inline in the
heap page on PostgreSQL (the table's toast_tuple_target is raised; see migration 0003).
Measured on the benchmark's 5.5 KB event (bench/intake_insert.py): PostgreSQL backend CPU
per insert 0.19 -> 0.12 ms, for 0.02 ms more in the web process. Rows written as plain JSON
(older releases, the test-event button, test factories) still read back.
"""

import threading

import zstandard

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"  # never the first bytes of a JSON document
_local = threading.local()  # zstandard (de)compressors must not be shared between threads


def pack(event_json: bytes) -> bytes:
    compressor = getattr(_local, "compressor", None)
    if compressor is None:
        compressor = _local.compressor = zstandard.ZstdCompressor(level=1)
    return compressor.compress(event_json)


def unpack(stored: bytes | memoryview) -> bytes:
    data = bytes(stored)
    if not data.startswith(ZSTD_MAGIC):
        return data
    decompressor = getattr(_local, "decompressor", None)
    if decompressor is None:
        decompressor = _local.decompressor = zstandard.ZstdDecompressor()
    try:
        # pack() writes the content size into the frame, so this is one exact allocation.
        return decompressor.decompress(data)
    except zstandard.ZstdError:
        return data  # damaged: the digest keeps it as an unprocessable event, never drops it
