"""The normalizer: every shape SDKs send becomes the canonical event (tests/fixtures/events)."""

from datetime import UTC, datetime

import pytest

from digest.normalize import MAX_STRING, NormalizationError, fallback, normalize, parse
from tests.payloads import FIXTURES, all_payloads, fixture

RECEIVED = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)  # after every fixture was captured


def norm(data: dict) -> dict:
    return normalize(data, "f" * 32, RECEIVED)


def fix(name: str) -> dict:
    return norm(fixture(name))


# --- shapes -----------------------------------------------------------------------------


def test_exception_as_values_bare_list_or_single_object_all_become_values():
    assert [e["type"] for e in fix("java/chained-exceptions.json")["exception"]["values"]] == [
        "SQLTransientConnectionException",
        "CannotCreateTransactionException",
        "OrderPlacementException",
    ]
    assert len(fix("go/wrapped-error.json")["exception"]["values"]) == 2  # a bare list
    [single] = fix("edge/exception-single-object.json")["exception"]["values"]
    assert single["type"] == "ReferenceError"


def test_a_raw_stacktrace_stands_in_for_a_missing_stacktrace():
    [exc] = fix("edge/exception-single-object.json")["exception"]["values"]
    assert [f["function"] for f in exc["stacktrace"]["frames"]] == [
        "trackCheckout",
        "HTMLFormElement.onSubmit",
    ]


def test_values_null_and_entries_that_are_not_objects_are_dropped():
    assert "exception" not in fix("edge/exception-values-null.json")
    assert fix("edge/exception-empty-with-message.json")["exception"]["values"] == [
        {"type": "", "value": "", "mechanism": {"type": "watchdog_termination", "handled": False}}
    ]


def test_null_frames_no_frames_and_unusable_frames_leave_no_stacktrace():
    [exc] = fix("edge/exception-null-frames.json")["exception"]["values"]
    assert "stacktrace" not in exc
    [exc] = fix("edge/exception-no-frames.json")["exception"]["values"]
    assert "stacktrace" not in exc and exc["mechanism"]["handled"] is True
    unusable = fix("edge/frames-missing-info.json")["exception"]["values"][1]
    assert "stacktrace" not in unusable


def test_frames_keep_only_fields_of_the_right_type():
    frames = fix("edge/frames-missing-info.json")["exception"]["values"][0]["stacktrace"]["frames"]
    assert frames[:3] == [{}, {"lineno": 3}, {"function": "42", "pre_context": ["ok", "", ""]}]
    assert frames[3] == {
        "filename": "app/handlers.py",
        "function": "handle",
        "lineno": 10,
        "colno": 4,
        "context_line": "    raise RuntimeError(msg)",
        "pre_context": ["def handle(msg):"],
        "post_context": [],
        "vars": {"msg": "'frames with missing or oddly typed fields'"},
    }


def test_native_frames_keep_instruction_addresses_and_packages():
    frames = fix("native/minidump-access-violation.json")["exception"]["values"][0]["stacktrace"]
    assert frames["frames"][2] == {
        "package": "C:\\Program Files\\RenderFarm\\renderd.exe",
        "instruction_addr": "0x7ff6a10214c2",
    }
    assert fix("cocoa/swift-bad-access.json")["debug_meta"]["images"][0]["type"] == "macho"


def test_threads_keep_ids_names_flags_and_stacks():
    threads = fix("cocoa/objc-nsexception.json")["threads"]["values"]
    assert [(t["id"], t["crashed"]) for t in threads] == [(0, False), (5, True)]
    assert threads[1]["stacktrace"]["frames"][1]["function"].endswith("_block_invoke")
    assert fix("java/chained-exceptions.json")["exception"]["values"][0]["thread_id"] == 57
    assert len(fix("edge/threads-crashed-no-exception.json")["threads"]["values"]) == 2


def test_a_top_level_stacktrace_is_kept():
    event = fix("edge/top-level-stacktrace.json")
    assert event["stacktrace"]["frames"][0] == {"filename": "[native code]", "function": "forEach"}


def test_breadcrumbs_as_values_or_a_bare_list_keep_only_objects():
    assert len(fix("python/chained-cause.json")["breadcrumbs"]["values"]) == 2
    crumbs = fix("edge/breadcrumbs-list.json")["breadcrumbs"]["values"]
    assert len(crumbs) == 6 and all(isinstance(c, dict) for c in crumbs)


def test_tags_as_dict_or_pairs_become_unique_pairs_of_text():
    assert fix("python/chained-cause.json")["tags"] == [
        ["customer_tier", "gold"],
        ["region", "eu-west-1"],
    ]
    assert fix("node/scope-fingerprint.json")["tags"] == [["queue", "restock"], ["attempt", "3"]]
    assert fix("edge/tags-pairs.json")["tags"] == [
        ["browser", "Firefox 128"],
        ["shard", "7"],
        ["flag", "true"],
    ]


def test_integer_user_id_becomes_text_and_empty_identifiers_are_dropped():
    assert fix("edge/user-id-int.json")["user"] == {
        "id": "1042",
        "username": "false",
        "ip_address": "2001:db8::17",
        "segment": "wholesale",
        "data": {"plan": "pro"},
    }
    assert fix("node/scope-fingerprint.json")["user"] == {"id": "42", "username": "ops-bot"}


def test_fields_of_the_wrong_type_are_dropped_or_made_text():
    event = fix("edge/weird-types.json")
    assert event == {
        "event_id": "f" * 32,
        "timestamp": RECEIVED.timestamp(),
        "received": RECEIVED.timestamp(),
        "level": "error",
        "platform": "other",
        "release": "2",
        "environment": "true",
        "culprit": "1.5",
    }
    assert "tags" not in fix("edge/exception-null-frames.json")


def test_an_empty_object_is_still_an_event():
    assert fix("edge/empty-object.json") == {
        "event_id": "f" * 32,
        "timestamp": RECEIVED.timestamp(),
        "received": RECEIVED.timestamp(),
        "level": "error",
        "platform": "other",
    }


def test_request_contexts_sdk_modules_extra_and_debug_meta_pass_through():
    event = fix("dotnet/aspnetcore-divide-by-zero.json")
    assert event["request"]["headers"]["Accept"] == ["application/json", "text/plain"]
    assert event["contexts"]["runtime"]["name"] == ".NET"
    assert event["sdk"]["name"] == "sentry.dotnet.aspnetcore"
    assert event["debug_meta"]["images"][0]["type"] == "pe_dotnet"
    assert fix("java/chained-exceptions.json")["modules"]["com.zaxxer:HikariCP"] == "5.0.1"
    assert fix("python/wsgi-request.json")["request"]["method"] == "POST"


def test_long_strings_are_cut():
    event = norm({"release": "r" * 1000, "message": "m" * (MAX_STRING + 10)})
    assert len(event["release"]) == 250
    assert len(event["message"]) == MAX_STRING


# --- messages ---------------------------------------------------------------------------


def test_a_top_level_message_string_becomes_the_logentry():
    event = fix("edge/message-string.json")
    assert event["message"] == "Bounce rate for campaign 2211 reached 7.5% (threshold 5%)"
    assert event["logentry"]["formatted"] == event["message"]
    with_exc = fix("edge/message-string-with-exception.json")
    assert with_exc["message"] == "template render failed for campaign 2211"


def test_a_logentry_string_is_its_message():
    event = fix("edge/logentry-string.json")
    assert event["logentry"] == {
        "message": "Worker 4 lost its database connection; reconnecting",
        "formatted": "Worker 4 lost its database connection; reconnecting",
    }


def test_log_templates_keep_their_params_and_get_formatted():
    assert fix("python/log-message-params.json")["logentry"] == {
        "message": "stock for %s is %d, below the %d ordered",
        "formatted": "stock for SKU-1042 is 2, below the 5 ordered",
        "params": ["SKU-1042", 2, 5],
    }
    node = fix("node/message-params.json")  # the SDK sends no formatted text: we format it
    assert node["logentry"]["formatted"] == "Order 55102 exceeded the limit of 50 items"
    assert fix("edge/message-object-params.json")["message"] == (
        "Reminder R-77 for invoice INV-2026-00012 sent 3 times"
    )


def test_named_params_format_and_mismatched_params_keep_the_template():
    assert fix("edge/logentry-params-dict.json")["message"] == (
        "Contact c-551 of account acme failed to sync"
    )
    assert fix("edge/logentry-format-mismatch.json")["message"] == (
        "Row %s of %s has %d columns, expected %d"
    )


def test_a_template_without_params_is_its_own_formatted_text():
    assert fix("edge/logentry-message-only.json")["logentry"] == {
        "message": "job cleanup-sessions skipped: previous run still active",
        "formatted": "job cleanup-sessions skipped: previous run still active",
    }


def test_a_formatted_only_logentry_wins_over_the_message_and_empty_ones_are_skipped():
    event = fix("edge/logentry-formatted-only.json")
    assert event["logentry"] == {
        "message": "Feature flag new-checkout evaluated for 1204 users in 38ms",
        "formatted": "Feature flag new-checkout evaluated for 1204 users in 38ms",
    }
    assert fix("edge/exception-empty-with-message.json")["message"] == (
        "The OS watchdog terminated the application"
    )
    assert "logentry" not in fix("edge/weird-types.json")  # empty logentry, numeric message


# --- times, levels, platforms, fingerprints ---------------------------------------------


def test_timestamps_as_float_iso_or_numeric_text_and_naive_iso_is_utc():
    assert fix("java/minimal.json")["timestamp"] == 1795512000.5
    java = fix("java/chained-exceptions.json")["timestamp"]
    assert java == datetime(2026, 11, 24, 8, 15, 42, 381000, tzinfo=UTC).timestamp()
    go = fix("go/wrapped-error.json")["timestamp"]  # nanoseconds, Z
    assert go == datetime(2026, 11, 27, 6, 41, 18, 902731, tzinfo=UTC).timestamp()
    naive = fix("edge/timestamp-naive-iso.json")["timestamp"]
    assert naive == datetime(2026, 11, 20, 10, 19, 51, 132514, tzinfo=UTC).timestamp()
    offset = fix("native/linux-abort-cpp.json")["timestamp"]  # +01:00
    assert offset == datetime(2026, 11, 30, 15, 20, tzinfo=UTC).timestamp()
    assert fix("edge/timestamp-numeric-string.json")["timestamp"] == 1795601320.75


def test_missing_bad_or_future_timestamps_become_the_receipt_time():
    for name in (
        "edge/timestamp-far-future.json",
        "edge/timestamp-unparseable.json",
        "edge/timestamp-missing.json",
        "edge/weird-types.json",  # true
    ):
        assert fix(name)["timestamp"] == RECEIVED.timestamp(), name
    for value in (0, -5, [], RECEIVED.timestamp() + 61):
        assert norm({"timestamp": value})["timestamp"] == RECEIVED.timestamp()


def test_levels_are_mapped_onto_sentrys_five():
    assert fix("edge/timestamp-naive-iso.json")["level"] == "warning"  # WARNING
    assert fix("edge/timestamp-numeric-string.json")["level"] == "warning"  # warn
    assert fix("edge/timestamp-far-future.json")["level"] == "fatal"  # critical
    assert fix("edge/timestamp-unparseable.json")["level"] == "error"  # verbose
    assert fix("edge/timestamp-missing.json")["level"] == "error"  # 40
    assert fix("node/uncaught.json")["level"] == "fatal"


def test_unknown_platforms_are_kept_and_missing_ones_are_other():
    assert fix("edge/nonsense-platform.json")["platform"] == "nonsense"
    assert fix("edge/empty-object.json")["platform"] == "other"


def test_fingerprint_entries_become_text_and_non_lists_are_ignored():
    assert fix("edge/fingerprint-int.json")["fingerprint"] == ["payments", "402", "1.5", "true"]
    assert "fingerprint" not in fix("edge/fingerprint-not-a-list.json")
    assert fix("python/default-fingerprint-extended.json")["fingerprint"] == [
        "{{ default }}",
        "tenant-eu-17",
    ]


# --- parsing ----------------------------------------------------------------------------


def test_not_an_object_is_a_normalization_error():
    for name in ("broken/not-json.json", "broken/array.json", "broken/string.json"):
        with pytest.raises(NormalizationError):
            parse(_path(name).read_bytes())


def _path(name: str):
    return FIXTURES / name


def test_lone_surrogates_and_nan_are_not_json_to_the_digest():
    for name in ("broken/lone-surrogate.json", "broken/nan-and-infinity.json"):
        with pytest.raises(NormalizationError):
            parse(_path(name).read_bytes())


def test_nul_characters_are_replaced():
    event = norm(parse(_path("edge/nul-characters.json").read_bytes()))
    assert event["message"] == "decoder read a NUL byte: \ufffd in the middle"
    assert event["tags"] == [["field", "name\ufffdsuffix"]]


def test_the_fallback_keeps_the_raw_text():
    event = fallback(_path("broken/not-json.json").read_bytes(), "e" * 32, RECEIVED)
    assert event["extra"]["raw_payload"].startswith('{"event_id"')
    assert (event["level"], event["platform"]) == ("error", "other")


@pytest.mark.parametrize("payload", all_payloads(), ids=str)
def test_every_payload_normalizes_or_is_refused_as_not_an_event(payload):
    try:
        data = parse(payload.raw())
    except NormalizationError:
        assert payload.broken, f"{payload} is not listed in KNOWN-BROKEN"
        return
    event = normalize(data, "f" * 32, RECEIVED)
    assert event["event_id"] == "f" * 32
    assert isinstance(event["timestamp"], float)
    assert event["level"] in {"fatal", "error", "warning", "info", "debug"}
