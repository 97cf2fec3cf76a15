"""The presenter turns any payload shape into display rows without failing."""

import pytest

from events.presenters import MAX_FRAMES, MAX_ROWS, present_event

ODD = [
    None,
    [],
    "a string",
    {"exception": "boom"},
    {"exception": {"values": [None, 1, "x", {"stacktrace": {"frames": [None, "f", {}]}}]}},
    {"exception": [{"type": 1, "value": {"nested": True}, "stacktrace": {"frames": None}}]},
    {"threads": {"values": [{"stacktrace": {"frames": [{"lineno": "12", "vars": [1, 2]}]}}]}},
    {"breadcrumbs": {"values": [{"timestamp": "not a date"}, {"timestamp": 1e20}, 5]}},
    {"breadcrumbs": [{"timestamp": "2024-01-01T10:00:00Z", "data": [["a", "b"]]}]},
    {"tags": {"a": 1, "b": None}, "user": 42, "request": "GET /", "contexts": {"os": None}},
    {"request": {"headers": [["A", ["x", "y"]], ["bad"]], "query_string": {"a": "1"}}},
    {"request": {"cookies": "a=b", "data": b"bytes".hex(), "env": [1]}},
    {"logentry": "plain", "message": {"formatted": None}, "sdk": {"packages": [None, {}]}},
    {"contexts": {1: {"a": 1}, "trace": {"trace_id": "x"}}, "modules": ["not", "a", "dict"]},
    {
        "exception": {
            "values": [{"stacktrace": {"frames": [{"context_line": "a\nb", "lineno": 3}]}}]
        }
    },
]


@pytest.mark.parametrize("payload", ODD, ids=range(len(ODD)))
def test_odd_shapes_are_presented_without_error(payload):
    shown = present_event(payload)
    assert isinstance(shown["exceptions"], list)


def test_in_app_frames_are_open_and_library_frames_closed():
    frames = [{"function": "lib", "in_app": False}, {"function": "mine", "in_app": True}]
    shown = present_event({"exception": {"values": [{"stacktrace": {"frames": frames}}]}})
    assert [f.in_app for f in shown["exceptions"][0].stack.frames] == [False, True]


def test_without_in_app_information_the_raising_frame_is_open():
    frames = [{"function": "a"}, {"function": "b"}]
    stack = present_event({"exception": [{"stacktrace": {"frames": frames}}]})["exceptions"][0]
    assert [f.in_app for f in stack.stack.frames] == [False, True]


def test_source_context_marks_the_current_line_with_line_numbers():
    frame = {
        "filename": "app.py", "lineno": 10, "pre_context": ["a = 1", "b = 2"],
        "context_line": "raise X", "post_context": ["c = 3"],
    }  # fmt: skip
    source = (
        present_event({"exception": [{"stacktrace": {"frames": [frame]}}]})["exceptions"][0]
        .stack.frames[0]
        .source
    )
    assert [(line.lineno, line.current) for line in source] == [
        (8, False), (9, False), (10, True), (11, False),
    ]  # fmt: skip
    assert "raise" in source[2].html


def test_huge_payloads_are_bounded():
    frames = [{"function": f"f{i}"} for i in range(MAX_FRAMES + 50)]
    payload = {
        "exception": [{"stacktrace": {"frames": frames}}],
        "modules": {f"m{i}": "1" for i in range(MAX_ROWS * 3)},
        "message": "x" * 100_000,
    }
    shown = present_event(payload)
    assert len(shown["exceptions"][0].stack.frames) == MAX_FRAMES
    assert shown["exceptions"][0].stack.omitted == 50
    assert shown["exceptions"][0].stack.frames[-1].function == f"f{MAX_FRAMES + 49}"
    assert len(shown["modules"]) == MAX_ROWS
    assert len(shown["message"]) < 25_000


def test_an_events_summary_is_its_message_else_its_last_exception():
    from events.presenters import present_summary
    from tests.payloads import fixture

    message = present_summary(fixture("python/log-message-params.json"))
    assert message == "stock for SKU-1042 is 2, below the 5 ordered"
    chained = present_summary(fixture("python/chained-cause.json"))
    assert chained == "PaymentError: gateway reply for order 81723 is not JSON"


@pytest.mark.django_db
def test_every_accepted_payload_has_a_one_line_summary_or_none():
    from events.presenters import present_summary
    from tests.payloads import accepted_payloads

    for payload in accepted_payloads():
        summary = present_summary(payload.load())
        assert "\n" not in summary and len(summary) <= 300, payload
