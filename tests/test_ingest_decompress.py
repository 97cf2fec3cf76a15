"""Content-Encoding handling: every coding, truncation, garbage, and bombs."""

import gzip
import io
import tracemalloc
import zlib

import brotli
import pytest
import zstandard

from ingest.decompress import decoded_chunks, decompress_bytes, raw_chunks
from ingest.errors import BadRequest, TooLarge
from tests.ingest_bombs import MiB, brotli_zeros, deflate_zeros, gzip_zeros, zstd_zeros

DATA = b'{"message": "hello"}\n' * 5000


def raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return c.compress(data) + c.flush()


CODECS = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
    "zstd": lambda d: zstandard.ZstdCompressor().compress(d),
}


def decode_all(data: bytes, coding: str, limit: int = 100 * MiB, chunk: int = 1000) -> bytes:
    chunks = (data[i : i + chunk] for i in range(0, len(data), chunk))
    return b"".join(decoded_chunks(chunks, coding, limit))


@pytest.mark.parametrize("coding", CODECS)
@pytest.mark.parametrize("chunk", [1, 1000, 1 << 20])
def test_each_coding_round_trips_whatever_the_chunking(coding, chunk):
    assert decode_all(CODECS[coding](DATA), coding, chunk=chunk) == DATA


def test_raw_deflate_without_zlib_header_is_accepted_too():
    assert decode_all(raw_deflate(DATA), "deflate") == DATA


@pytest.mark.parametrize("coding", ["", "identity", "chunked", "weird", " , "])
def test_empty_or_unknown_codings_mean_identity(coding):
    assert decode_all(DATA, coding) == DATA


@pytest.mark.parametrize("coding", ["GZIP", " gzip ", "Br"])
def test_codings_are_case_and_space_insensitive(coding):
    compress = CODECS[coding.strip().lower()]
    assert decode_all(compress(DATA), coding) == DATA


def test_stacked_codings_are_undone_in_reverse_order():
    body = brotli.compress(gzip.compress(DATA))
    assert decode_all(body, "gzip, br") == DATA


def test_concatenated_gzip_members_are_one_body():
    assert decode_all(gzip.compress(b"ab") + gzip.compress(b"cd"), "gzip", chunk=3) == b"abcd"


def test_padding_after_a_complete_gzip_stream_is_ignored():
    assert decode_all(gzip.compress(DATA) + b"\0" * 10, "gzip") == DATA


def test_concatenated_zstd_frames_are_one_body():
    c = zstandard.ZstdCompressor()
    assert decode_all(c.compress(b"ab") + c.compress(b"cd"), "zstd", chunk=5) == b"abcd"


@pytest.mark.parametrize("coding", CODECS)
@pytest.mark.parametrize("keep", [0.0, 0.5, 0.9])
def test_truncated_bodies_are_bad_requests(coding, keep):
    body = CODECS[coding](DATA)
    with pytest.raises(BadRequest):
        decode_all(body[: int(len(body) * keep)], coding)


@pytest.mark.parametrize("coding", CODECS)
def test_garbage_is_a_bad_request(coding):
    with pytest.raises(BadRequest):
        decode_all(b"\x13\x37 this is not compressed at all " * 10, coding)


def test_a_zstd_frame_asking_for_a_huge_window_is_refused():
    params = zstandard.ZstdCompressionParameters.from_level(
        19, window_log=27, write_content_size=False
    )
    c = zstandard.ZstdCompressor(compression_params=params).compressobj()
    body = c.compress(DATA) + c.flush()
    with pytest.raises(BadRequest, match="zstd"):
        decode_all(body, "zstd")


@pytest.mark.parametrize("coding", CODECS)
def test_output_over_the_limit_is_too_large(coding):
    with pytest.raises(TooLarge):
        decode_all(CODECS[coding](DATA), coding, limit=len(DATA) - 1)
    assert decode_all(CODECS[coding](DATA), coding, limit=len(DATA)) == DATA


def test_the_raw_body_limit_is_checked_against_content_length_before_reading():
    stream = io.BytesIO(b"x" * 100)
    with pytest.raises(TooLarge):
        next(raw_chunks(stream, 100, limit=99))
    assert stream.tell() == 0


def test_the_raw_body_limit_is_checked_while_reading_a_chunked_body():
    with pytest.raises(TooLarge):
        list(raw_chunks(io.BytesIO(b"x" * 200_000), None, limit=150_000))


def test_a_body_shorter_than_its_content_length_is_a_bad_request():
    with pytest.raises(BadRequest, match="shorter"):
        list(raw_chunks(io.BytesIO(b"x" * 10), 20, limit=100))


def test_a_body_is_read_only_up_to_its_content_length():
    assert b"".join(raw_chunks(io.BytesIO(b"x" * 10 + b"extra"), 10, limit=100)) == b"x" * 10


def _peak_python_memory_while(fn) -> int:
    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize(
    "coding,bomb",
    [
        ("gzip", lambda: gzip_zeros(10 * 1024 * MiB)),  # 10 GiB of zeros, ~10 MiB gzipped
        ("deflate", lambda: deflate_zeros(10 * 1024 * MiB)),
        ("br", lambda: [brotli_zeros(1024 * MiB)]),
        ("zstd", lambda: [zstd_zeros(1024 * MiB)]),
    ],
)
def test_a_decompression_bomb_is_cut_off_at_the_limit_with_bounded_memory(coding, bomb):
    source = bomb()  # built before measuring: the bomb itself is not the server's memory
    produced = 0

    def consume() -> None:
        nonlocal produced
        with pytest.raises(TooLarge):
            for chunk in decoded_chunks(source, coding, limit=50 * MiB):
                produced += len(chunk)

    peak = _peak_python_memory_while(consume)
    assert produced <= 50 * MiB
    assert peak < 8 * MiB, f"decoding held {peak / MiB:.1f} MiB at once"


def test_bounded_one_shot_decompression_for_old_store_bodies():
    assert decompress_bytes(zlib.compress(DATA), "deflate", len(DATA)) == DATA
    with pytest.raises(TooLarge):
        decompress_bytes(zlib.compress(DATA), "deflate", 100)
