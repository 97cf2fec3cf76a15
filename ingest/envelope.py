"""Sentry envelope framing, parsed while streaming.

An envelope is a JSON header line, then items: a JSON item header line and a payload that is
either exactly `length` bytes or runs to the next newline (or EOF). Newlines after payloads
are optional. Only the item types we use are kept in memory; the rest are skipped in chunks.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import orjson

from ingest.errors import BadRequest, TooLarge

MAX_HEADER_BYTES = 64 * 1024
KEPT_TYPES = ("event", "client_report")


@dataclass
class Item:
    type: str
    headers: dict
    payload: bytes | None  # None for item types we drop without reading into memory


@dataclass
class Envelope:
    headers: dict
    items: list[Item] = field(default_factory=list)


class ChunkReader:
    """Line and exact-length reads over an iterator of chunks, buffering only what is asked."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._it: Iterator[bytes] = iter(chunks)
        self._buf = bytearray()
        self._pos = 0
        self._eof = False

    def _fill(self) -> bool:
        if self._eof:
            return False
        chunk = next(self._it, None)
        if chunk is None:
            self._eof = True
            return False
        if self._pos:
            del self._buf[: self._pos]
            self._pos = 0
        self._buf += chunk
        return True

    def at_eof(self) -> bool:
        while self._pos >= len(self._buf):
            if not self._fill():
                return True
        return False

    def peek_byte(self) -> int | None:
        return None if self.at_eof() else self._buf[self._pos]

    def read_line(self, limit: int, what: str) -> bytes | None:
        """One line without its newline; None at EOF. Longer than `limit` -> TooLarge."""
        if self.at_eof():
            return None
        scanned = 0  # bytes after _pos already searched for a newline
        while True:
            nl = self._buf.find(b"\n", self._pos + scanned)
            if nl >= 0:
                if nl - self._pos > limit:
                    raise TooLarge(f"{what} is larger than {limit} bytes")
                line = bytes(self._buf[self._pos : nl])
                self._pos = nl + 1
                return line
            scanned = len(self._buf) - self._pos
            if scanned > limit:
                raise TooLarge(f"{what} is larger than {limit} bytes")
            if not self._fill():
                line = bytes(self._buf[self._pos :])
                self._pos = len(self._buf)
                return line

    def skip_line(self) -> None:
        while not self.at_eof():
            nl = self._buf.find(b"\n", self._pos)
            if nl >= 0:
                self._pos = nl + 1
                return
            self._pos = len(self._buf)

    def read_exact(self, n: int) -> bytes:
        while len(self._buf) - self._pos < n:
            if not self._fill():
                raise BadRequest("envelope item is shorter than its length header")
        out = bytes(self._buf[self._pos : self._pos + n])
        self._pos += n
        return out

    def skip_exact(self, n: int) -> None:
        while n > 0:
            if self.at_eof():
                raise BadRequest("envelope item is shorter than its length header")
            step = min(n, len(self._buf) - self._pos)
            self._pos += step
            n -= step


def parse_json_object(data: bytes, what: str) -> dict:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"{what} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise BadRequest(f"{what} is not a JSON object")
    return value


def read_envelope_header(reader: ChunkReader) -> dict:
    line = reader.read_line(MAX_HEADER_BYTES, "envelope header")
    if line is None or not line.strip():
        raise BadRequest("envelope is empty")
    return parse_json_object(line, "envelope header")


def read_items(reader: ChunkReader, max_item_bytes: int) -> Iterator[Item]:
    """Yield items one by one; payloads of kept types are capped at `max_item_bytes`."""
    while True:
        line = reader.read_line(MAX_HEADER_BYTES, "envelope item header")
        if line is None:
            return
        if not line.strip():
            continue  # stray blank line between items (or the trailing newline)
        headers = parse_json_object(line, "envelope item header")
        item_type = headers.get("type")
        if not isinstance(item_type, str) or not item_type:
            raise BadRequest("envelope item has no type")
        keep = item_type in KEPT_TYPES
        length = headers.get("length")
        if length is None:
            if keep:
                payload = reader.read_line(max_item_bytes, f"{item_type} item") or b""
            else:
                payload = None
                reader.skip_line()
        else:
            if not isinstance(length, int) or isinstance(length, bool) or length < 0:
                raise BadRequest("envelope item length is not a non-negative integer")
            if keep:
                if length > max_item_bytes:
                    raise TooLarge(f"{item_type} item is larger than {max_item_bytes} bytes")
                payload = reader.read_exact(length)
            else:
                payload = None
                reader.skip_exact(length)
            if reader.peek_byte() == 0x0A:
                reader.skip_exact(1)
        yield Item(item_type, headers, payload)


def parse_envelope(chunks: Iterable[bytes], max_item_bytes: int) -> Envelope:
    reader = ChunkReader(chunks)
    envelope = Envelope(read_envelope_header(reader))
    envelope.items.extend(read_items(reader, max_item_bytes))
    return envelope
