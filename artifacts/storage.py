"""File contents are zstd in the database; maps compress ~4x."""

import zstandard

LEVEL = 3


def pack(data: bytes) -> bytes:
    return zstandard.ZstdCompressor(level=LEVEL).compress(data)


def unpack(blob: bytes | memoryview, limit: int) -> bytes:
    return zstandard.ZstdDecompressor().decompress(bytes(blob), max_output_size=limit)
