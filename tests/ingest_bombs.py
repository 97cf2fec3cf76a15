"""Decompression bombs, generated lazily so that no test ever holds them whole."""

import gzip
import zlib
from collections.abc import Iterator

import brotli
import zstandard

MiB = 1024 * 1024
_ZEROS = b"\0" * (16 * MiB)


def gzip_zeros(total: int, prefix: bytes = b"") -> Iterator[bytes]:
    """A multi-member gzip stream of `prefix` then `total` zero bytes, ~1000:1."""
    if prefix:
        yield gzip.compress(prefix)
    member = gzip.compress(_ZEROS, compresslevel=9)
    for _ in range(total // len(_ZEROS)):
        yield member


def deflate_zeros(total: int) -> Iterator[bytes]:
    """One zlib stream of zeros that never ends: the repeated full-flush block is identical."""
    c = zlib.compressobj(9)
    yield c.compress(_ZEROS) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(_ZEROS) + c.flush(zlib.Z_FULL_FLUSH)
    for _ in range(total // len(_ZEROS) - 1):
        yield block


def brotli_zeros(total: int) -> bytes:
    """Brotli squeezes zeros hard enough that even 1 GiB is a few hundred bytes... of work."""
    c = brotli.Compressor(quality=5)
    out = [c.process(_ZEROS) for _ in range(total // len(_ZEROS))]
    out.append(c.finish())
    return b"".join(out)


def zstd_zeros(total: int) -> bytes:
    c = zstandard.ZstdCompressor(level=3).compressobj()
    out = [c.compress(_ZEROS) for _ in range(total // len(_ZEROS))]
    out.append(c.flush())
    return b"".join(out)
