"""Odd payload shapes read as Sentry's entries without failing."""

from api.entries import cookie_pairs, entries, frame, iso, pairs


def test_headers_as_dict_pairs_or_lists_become_key_value_pairs():
    assert pairs({"Accept": "a"}) == [["Accept", "a"]]
    assert pairs([["Accept", "a"], ["bad"], "junk"]) == [["Accept", "a"]]
    assert pairs({"Accept": ["text/html", "*/*"]}) == [["Accept", "text/html, */*"]]
    assert pairs("a=1&b=&c") == [["a", "1"], ["b", ""], ["c", ""]]
    assert pairs(None) == [] and pairs(42) == []


def test_cookies_as_a_header_string_are_split():
    assert cookie_pairs("a=1; b=2;") == [["a", "1"], ["b", "2"]]
    assert cookie_pairs({"a": "1"}) == [["a", "1"]]


def test_a_frame_without_line_numbers_has_no_context():
    data = frame({"function": "f", "context_line": "x()", "lineno": "nope", "in_app": "yes"})
    assert data["context"] == [] and data["lineNo"] is None and data["inApp"] is None
    assert frame("not a frame") is None


def test_timestamps_out_of_range_do_not_fail():
    assert iso(1e20) is None
    assert iso(0) == "1970-01-01T00:00:00Z"
    assert iso(True) is None


def test_odd_top_level_shapes_give_no_entries_rather_than_errors():
    payload = {
        "exception": [{"type": "E", "stacktrace": {"frames": [None, 3, {"function": "f"}]}}],
        "breadcrumbs": [{"message": "m"}, "junk"],
        "threads": {"values": None},
        "request": "GET /",
        "message": {"params": [1]},
        "logentry": 42,
    }
    result = {e["type"]: e["data"] for e in entries(payload)}
    assert set(result) == {"exception", "breadcrumbs"}
    assert [f["function"] for f in result["exception"]["values"][0]["stacktrace"]["frames"]] == [
        "f"
    ]
