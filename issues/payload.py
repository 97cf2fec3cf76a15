"""Event payload storage: normalized event JSON, zstd-compressed (orjson for speed)."""

from typing import Any

import orjson
import zstandard

_compressor = zstandard.ZstdCompressor(level=3)
_decompressor = zstandard.ZstdDecompressor()


def encode(data: dict[str, Any]) -> bytes:
    return _compressor.compress(orjson.dumps(data))


def decode(blob: bytes | memoryview) -> dict[str, Any]:
    return orjson.loads(_decompressor.decompress(bytes(blob)))
