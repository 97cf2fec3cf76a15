"""Read request bodies in chunks and undo Content-Encoding while streaming.

Every stage yields bounded chunks, and the byte limits are checked as data flows, so a
decompression bomb is cut off after at most `limit` bytes of output and a few buffers.
"""

import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import BinaryIO

import brotli
import zstandard

from ingest.errors import BadRequest, RequestTimeout, TooLarge

READ_CHUNK = 64 * 1024
OUT_CHUNK = 64 * 1024
# zstd frames declare their window; refuse ones that would make us allocate a lot.
ZSTD_MAX_WINDOW = 1 << 24
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_IN_SLICE = 64
# SDKs send one coding; a proxy may add one. Each layer is a generator stacked on the last,
# so without a cap a long header nests them past Python's recursion limit.
MAX_ENCODINGS = 3


def raw_chunks(stream: BinaryIO, content_length: int | None, limit: int) -> Iterator[bytes]:
    """The body as sent. Without Content-Length (chunked upload) read until EOF."""
    if content_length is not None and content_length > limit:
        raise TooLarge(f"body is larger than {limit} bytes")
    remaining = content_length
    total = 0
    while remaining is None or remaining > 0:
        size = READ_CHUNK if remaining is None else min(READ_CHUNK, remaining)
        try:
            chunk = stream.read(size)
        except TimeoutError as exc:  # our gunicorn worker's deadline for the body
            raise RequestTimeout("the request body did not arrive in time") from exc
        except Exception as exc:  # gunicorn raises its own parse errors on broken chunking
            raise BadRequest(f"could not read request body: {type(exc).__name__}") from exc
        if not chunk:
            if remaining:
                raise BadRequest("request body is shorter than Content-Length")
            return
        total += len(chunk)
        if total > limit:
            raise TooLarge(f"body is larger than {limit} bytes")
        if remaining is not None:
            remaining -= len(chunk)
        yield chunk


def decoded_chunks(chunks: Iterable[bytes], content_encoding: str, limit: int) -> Iterator[bytes]:
    """Undo Content-Encoding (possibly a comma list); unknown or empty means identity.

    Too many layers are refused here, before a byte of the body is read."""
    codings = [c.strip().lower() for c in content_encoding.split(",")]
    decoders = [DECODERS[c] for c in reversed(codings) if c in DECODERS]
    if len(decoders) > MAX_ENCODINGS:
        raise BadRequest(f"more than {MAX_ENCODINGS} Content-Encoding layers")
    return _limited(decoders, chunks, limit)


def _limited(
    decoders: Sequence[Callable[[Iterable[bytes]], Iterator[bytes]]],
    chunks: Iterable[bytes],
    limit: int,
) -> Iterator[bytes]:
    stream: Iterable[bytes] = chunks
    for decoder in decoders:
        stream = decoder(stream)
    total = 0
    for chunk in stream:
        total += len(chunk)
        if total > limit:
            raise TooLarge(f"decompressed body is larger than {limit} bytes")
        yield chunk


def decompress_bytes(data: bytes, coding: str, limit: int) -> bytes:
    """Bounded one-shot decompression, for payloads that arrive already in memory."""
    return b"".join(decoded_chunks([data], coding, limit))


def _zlib(chunks: Iterable[bytes], wbits: int, multi_member: bool) -> Iterator[bytes]:
    d = zlib.decompressobj(wbits)
    after_end = b""  # bytes following a finished gzip member
    for chunk in chunks:
        pending = chunk
        if d.eof:
            after_end += chunk
            if len(after_end) < 2:
                continue
            if not (multi_member and after_end.startswith(GZIP_MAGIC)):
                return  # trailing padding or garbage after a complete stream: ignore it
            d, pending, after_end = zlib.decompressobj(wbits), after_end, b""
        while pending:
            try:
                out = d.decompress(pending, OUT_CHUNK)
            except zlib.error as exc:
                raise BadRequest(f"invalid compressed body: {exc}") from exc
            if out:
                yield out
            if d.eof:
                after_end = d.unused_data
                if len(after_end) >= 2 and multi_member and after_end.startswith(GZIP_MAGIC):
                    d, pending, after_end = zlib.decompressobj(wbits), after_end, b""
                    continue
                break
            pending = d.unconsumed_tail
    if not d.eof:
        tail = d.flush()
        if tail:
            yield tail
        raise BadRequest("compressed body is truncated")


def _gzip(chunks: Iterable[bytes]) -> Iterator[bytes]:
    return _zlib(chunks, 16 + zlib.MAX_WBITS, multi_member=True)


def _deflate(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """HTTP "deflate" is zlib-wrapped, but some clients send raw deflate: accept both."""
    it = iter(chunks)
    head = b""
    for chunk in it:
        head += chunk
        if len(head) >= 2:
            break
    if not head:
        raise BadRequest("compressed body is empty")
    zlib_wrapped = len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0
    wbits = zlib.MAX_WBITS if zlib_wrapped else -zlib.MAX_WBITS
    return _zlib(_prepend(head, it), wbits, multi_member=False)


def _brotli(chunks: Iterable[bytes]) -> Iterator[bytes]:
    d = brotli.Decompressor()
    try:
        for chunk in chunks:
            out = d.process(chunk, output_buffer_limit=OUT_CHUNK)
            # Drain what the output cap held back before feeding more input.
            while out:
                yield out
                out = d.process(b"", output_buffer_limit=OUT_CHUNK)
    except brotli.error as exc:
        raise BadRequest(f"invalid brotli body: {exc}") from exc
    if not d.is_finished():
        raise BadRequest("compressed body is truncated")


def _zstd(chunks: Iterable[bytes]) -> Iterator[bytes]:
    # zstandard's decompressobj has no output cap, but one input byte can only expand so
    # far (RLE blocks: ~4 bytes -> 128 KiB), so feeding small slices bounds each output.
    dctx = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW)
    d = dctx.decompressobj()
    try:
        for chunk in chunks:
            for i in range(0, len(chunk), ZSTD_IN_SLICE):
                piece = chunk[i : i + ZSTD_IN_SLICE]
                if d.eof:
                    piece = d.unused_data + piece
                    d = dctx.decompressobj()  # another frame follows
                out = d.decompress(piece)
                if out:
                    yield out
    except zstandard.ZstdError as exc:
        raise BadRequest(f"invalid zstd body: {exc}") from exc
    if not d.eof:
        raise BadRequest("compressed body is truncated")


def _prepend(head: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield head
    yield from rest


DECODERS = {
    "gzip": _gzip,
    "x-gzip": _gzip,
    "deflate": _deflate,
    "br": _brotli,
    "zstd": _zstd,
}
