"""Envelope framing, per Sentry's envelope spec, on the streaming parser."""

import orjson
import pytest

from ingest.envelope import ChunkReader, parse_envelope
from ingest.errors import BadRequest, TooLarge

LIMIT = 1024 * 1024


def parse(data: bytes, chunk: int = 7, limit: int = LIMIT):
    """Feed the parser in small chunks so that every boundary case gets exercised."""
    return parse_envelope((data[i : i + chunk] for i in range(0, len(data), chunk)), limit)


def test_an_item_with_length_is_read_exactly_even_if_it_holds_newlines():
    env = parse(b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}\n'
                b'{"type":"event","length":9}\n{"a":"\n"}\n')  # fmt: skip
    assert env.headers == {"event_id": "9ec79c33ec9942ab8353589fcb2e04dc"}
    assert [(i.type, i.payload) for i in env.items] == [("event", b'{"a":"\n"}')]


def test_an_item_without_length_runs_to_the_newline():
    env = parse(b'{}\n{"type":"event"}\n{"message":"hi"}\n')
    assert env.items[0].payload == b'{"message":"hi"}'


def test_an_item_without_length_may_run_to_eof():
    env = parse(b'{}\n{"type":"event"}\n{"message":"hi"}')
    assert env.items[0].payload == b'{"message":"hi"}'


@pytest.mark.parametrize("trailer", [b"", b"\n"])
def test_the_trailing_newline_is_optional(trailer):
    env = parse(b'{}\n{"type":"event","length":2}\n{}' + trailer)
    assert [i.payload for i in env.items] == [b"{}"]


def test_several_items_of_several_types_in_one_envelope():
    body = (
        b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"https://k@h/1"}\n'
        b'{"type":"attachment","length":5,"filename":"a.txt"}\nab\ncd\n'
        b'{"type":"event","length":2}\n{}\n'
        b'{"type":"session"}\n{"sid":"1"}\n'
        b'{"type":"client_report"}\n{"discarded_events":[]}\n'
    )
    env = parse(body)
    assert [i.type for i in env.items] == ["attachment", "event", "session", "client_report"]
    # Types we drop are skipped without being kept in memory.
    assert [i.payload for i in env.items] == [None, b"{}", None, b'{"discarded_events":[]}']


def test_the_envelope_from_sentrys_spec_example_parses():
    # The attachment + event example from the envelope documentation, framing only.
    body = (
        b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"https://e12d836b15bb49d7bbf99e64295d995b:@sentry.io/42"}\n'
        b'{"type":"attachment","length":10,"content_type":"text/plain","filename":"hello.txt"}\n'
        b"\xef\xbb\xbfHello\r\n\n"
        b'{"type":"event","length":41,"content_type":"application/json","filename":"application.log"}\n'
        b'{"message":"hello world","level":"error"}\n'
    )
    env = parse(body)
    assert [i.type for i in env.items] == ["attachment", "event"]
    assert orjson.loads(env.items[1].payload) == {"message": "hello world", "level": "error"}


def test_an_envelope_with_only_a_header_has_no_items():
    assert parse(b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}\n').items == []
    assert parse(b"{}").items == []


def test_blank_lines_between_items_are_skipped():
    env = parse(b'{}\n\n{"type":"event","length":2}\n{}\n\n\n{"type":"session"}\n{}\n')
    assert [i.type for i in env.items] == ["event", "session"]


def test_an_empty_payload_without_length_is_empty():
    env = parse(b'{}\n{"type":"event"}\n')
    assert env.items[0].payload == b""


@pytest.mark.parametrize(
    "body,message",
    [
        (b"", "empty"),
        (b"\n", "empty"),
        (b"not json\n", "not valid JSON"),
        (b"[1,2]\n", "not a JSON object"),
        (b'{}\n{"length":2}\n{}', "no type"),
        (b'{}\n{"type":""}\n{}', "no type"),
        (b'{}\n{"type":"event","length":-1}\n', "non-negative"),
        (b'{}\n{"type":"event","length":"2"}\n{}', "non-negative"),
        (b'{}\n{"type":"event","length":true}\n{}', "non-negative"),
        (b'{}\n{"type":"event","length":50}\n{}', "shorter than its length"),
        (b'{}\n{"type":"attachment","length":50}\nabc', "shorter than its length"),
        (b'{}\n{"type":"event"', "not valid JSON"),
        (b"{}\n\xff\xfe\n", "not valid JSON"),
    ],
)
def test_malformed_framing_is_a_bad_request(body, message):
    with pytest.raises(BadRequest, match=message):
        parse(body)


def test_an_event_item_over_the_limit_is_too_large_with_or_without_length():
    payload = b'{"x":"' + b"y" * 200 + b'"}'
    with_length = b'{}\n{"type":"event","length":%d}\n' % len(payload) + payload
    without = b'{}\n{"type":"event"}\n' + payload
    for body in (with_length, without):
        with pytest.raises(TooLarge):
            parse(body, limit=100)


def test_dropped_items_may_be_larger_than_the_event_limit():
    body = b'{}\n{"type":"attachment","length":5000}\n' + b"z" * 5000 + b'\n{"type":"event"}\n{}'
    env = parse(body, chunk=333, limit=100)
    assert [i.type for i in env.items] == ["attachment", "event"]


def test_a_huge_header_line_is_too_large():
    with pytest.raises(TooLarge):
        parse(b'{"a":"' + b"x" * 100_000 + b'"}\n', chunk=4096)


def test_the_reader_splits_lines_across_chunk_boundaries():
    reader = ChunkReader([b"ab", b"c\nde", b"", b"f\n", b"g"])
    assert reader.read_line(10, "line") == b"abc"
    assert reader.read_line(10, "line") == b"def"
    assert reader.read_line(10, "line") == b"g"
    assert reader.read_line(10, "line") is None
