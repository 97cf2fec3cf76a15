from datetime import UTC, datetime

import pytest

from digest.normalize import NormalizationError, normalize, parse
from tests.digest_factories import corpus_event, corpus_files

RECEIVED = datetime(2025, 3, 6, 12, 0, tzinfo=UTC)


def norm(data: dict) -> dict:
    return normalize(data, "f" * 32, RECEIVED)


def test_exception_as_list_object_or_values_all_become_values():
    single = {"type": "E", "value": "v"}
    for shape in ({"values": [single]}, [single], single):
        assert norm({"exception": shape})["exception"]["values"][0]["type"] == "E"


def test_tags_as_dict_or_pairs_become_pairs():
    assert norm({"tags": {"a": "1", "n": 2}})["tags"] == [["a", "1"], ["n", "2"]]
    assert norm({"tags": [["a", "1"], ["bad"], ["b", None]]})["tags"] == [["a", "1"]]


def test_timestamps_as_float_or_iso_and_naive_iso_is_utc():
    assert norm({"timestamp": 1741262391.5})["timestamp"] == 1741262391.5
    aware = norm({"timestamp": "2025-03-06T10:19:51.132514327Z"})["timestamp"]
    naive = norm({"timestamp": "2025-03-06T10:19:51.132514"})["timestamp"]
    assert aware == naive == datetime(2025, 3, 6, 10, 19, 51, 132514, tzinfo=UTC).timestamp()


def test_missing_bad_or_future_timestamps_become_the_receipt_time():
    for value in (None, "yesterday", [], RECEIVED.timestamp() + 3600):
        assert norm({"timestamp": value})["timestamp"] == RECEIVED.timestamp()


def test_logentry_as_string_and_top_level_message_string():
    assert norm(corpus_event("bugsink/top-level-logentry-as-str.json"))["logentry"]["message"]
    event = norm(corpus_event("bugsink/top-level-message-as-str-no-exception.json"))
    assert event["message"] == "I am the GO SDK and I'm sorry I put a string here"


def test_log_templates_keep_their_params_and_get_formatted():
    event = norm({"logentry": {"message": "hello %s", "params": ["bob"]}})
    assert event["logentry"] == {"message": "hello %s", "formatted": "hello bob", "params": ["bob"]}


def test_null_frames_and_unknown_platforms_are_accepted():
    event = norm(corpus_event("bugsink/exception_null_frames.json"))
    assert "stacktrace" not in event["exception"]["values"][0]
    assert norm(corpus_event("bugsink/nonsense_platform.json"))["platform"] == "nonsense"


def test_integer_user_id_becomes_text():
    assert norm({"user": {"id": 42}})["user"]["id"] == "42"


def test_not_an_object_is_a_normalization_error():
    for raw in (b"nope", b"[1]", b'"s"'):
        with pytest.raises(NormalizationError):
            parse(raw)


def test_nul_characters_are_replaced():
    assert parse(b'{"message": "a\\u0000b"}')["message"] == "a\ufffdb"


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_corpus_file_normalizes(path):
    event = normalize(parse(path.read_bytes()), "f" * 32, RECEIVED)
    assert event["event_id"] == "f" * 32
    assert isinstance(event["timestamp"], float)
