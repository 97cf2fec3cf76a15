"""One test per grouping rule, each built from a real SDK payload in the shared corpus."""

import copy
from datetime import UTC, datetime

from digest import grouping
from digest.normalize import normalize
from digest.parameterize import parameterize
from tests.digest_factories import corpus_event

NOW = datetime.now(UTC)


def event(name: str, change=None) -> dict:
    data = copy.deepcopy(corpus_event(name))
    if change:
        change(data)
    return normalize(data, "0" * 32, NOW)


def hash_of(name: str, change=None) -> str:
    return grouping.compute(event(name, change)).hash


def frames(data: dict, exc: int = 0) -> list[dict]:
    return data["exception"]["values"][exc]["stacktrace"]["frames"]


RICH = "bugsink/visualshots-rich.json"  # python, in_app flags, context lines, filenames only
JAVA_CHAINED = "sentry/java-chained.json"
JS = "sentry/javascript-xbrowser-chrome.json"


def test_line_numbers_do_not_contribute():
    def shift(d):
        for f in frames(d):
            f["lineno"] = f.get("lineno", 0) + 7

    assert hash_of(RICH) == hash_of(RICH, shift)


def test_absolute_paths_do_not_contribute():
    def move(d):
        for f in frames(d):
            f["abs_path"] = "/somewhere/else/" + f["filename"]
            f["filename"] = "other/dir/" + f["filename"].split("/")[-1]

    assert hash_of(RICH) == hash_of(RICH, move)


def test_content_hashes_and_versions_in_file_names_are_stripped():
    def bundle(name):
        def change(d):
            for f in frames(d):
                f["filename"] = f["abs_path"] = f"https://cdn.example.com/static/{name}"
                f["in_app"] = True

        return change

    assert hash_of(JS, bundle("main.3f2a1b.js")) == hash_of(JS, bundle("main.9c8d7e.js"))
    assert hash_of(JS, bundle("app-1.2.3.min.js")) == hash_of(JS, bundle("app-1.3.0.min.js"))
    assert hash_of(JS, bundle("main.3f2a1b.js")) != hash_of(JS, bundle("vendor.3f2a1b.js"))


def test_anonymous_functions_are_normalized():
    def named(function):
        def change(d):
            frames(d)[0]["function"] = function

        return change

    names = ["<anonymous>", "?", "Object.<anonymous>", "anonymous"]
    assert len({hash_of(RICH, named(n)) for n in names}) == 1
    assert hash_of(RICH, named("<anonymous>")) != hash_of(RICH, named("checkout"))


def test_short_context_lines_contribute_with_whitespace_collapsed():
    def line(text):
        def change(d):
            frames(d)[2]["context_line"] = text

        return change

    assert hash_of(RICH, line("  response.raise_for_status()")) == hash_of(
        RICH, line("response.raise_for_status(  )".replace("(  )", "()"))
    )
    assert hash_of(RICH, line("a  =  1")) == hash_of(RICH, line("a = 1"))
    assert hash_of(RICH, line("a = 1")) != hash_of(RICH, line("a = 2"))
    assert hash_of(RICH, line("x" * 121)) == hash_of(RICH, line("y" * 121))


def test_context_lines_do_not_contribute_for_other_platforms():
    def line(text):
        def change(d):
            for f in frames(d, -1):
                f["context_line"] = text

        return change

    assert hash_of(JAVA_CHAINED, line("a = 1")) == hash_of(JAVA_CHAINED, line("b = 2"))


def test_only_in_app_frames_contribute_when_there_are_any():
    def rename(index, function):
        def change(d):
            frames(d)[index]["function"] = function

        return change

    assert hash_of(RICH) == hash_of(RICH, rename(3, "send"))  # requests/sessions.py: not in-app
    assert hash_of(RICH) != hash_of(RICH, rename(2, "other"))


def test_library_frames_do_not_contribute_without_in_app_flags():
    def unflag(function):
        def change(d):
            for f in frames(d):
                f.pop("in_app", None)
            frames(d)[3]["abs_path"] = "/venv/lib/python3.11/site-packages/requests/sessions.py"
            frames(d)[3]["function"] = function

        return change

    assert hash_of(RICH, unflag("request")) == hash_of(RICH, unflag("send"))


def test_directly_repeated_frames_collapse():
    def recurse(times):
        def change(d):
            fs = frames(d)
            fs[2:3] = [copy.deepcopy(fs[2]) for _ in range(times)]

        return change

    assert hash_of(RICH, recurse(1)) == hash_of(RICH, recurse(5))


def test_every_chained_exception_contributes():
    def rename_cause(d):
        d["exception"]["values"][0]["type"] = "SomeOtherCause"

    assert len(event(JAVA_CHAINED)["exception"]["values"]) > 1
    assert hash_of(JAVA_CHAINED) != hash_of(JAVA_CHAINED, rename_cause)


def test_exception_value_contributes_only_without_frames():
    def value(text):
        def change(d):
            d["exception"]["values"][0]["value"] = text

        return change

    assert hash_of(RICH, value("one thing")) == hash_of(RICH, value("another"))
    no_frames = "bugsink/exception_no_frames.json"
    assert hash_of(no_frames, value("one thing")) != hash_of(no_frames, value("another"))
    assert hash_of(no_frames, value("order 12 failed")) == hash_of(
        no_frames, value("order 9 failed")
    )


def test_log_messages_group_by_template():
    def params(values):
        def change(d):
            d["logentry"]["params"] = values
            d["logentry"].pop("formatted", None)

        return change

    name = "bugsink/logmessage-w-params-dict.json"
    assert hash_of(name, params({"one": "a", "two": "b"})) == hash_of(
        name, params({"one": "c", "two": "d"})
    )


def test_messages_without_template_group_by_parameterized_text():
    def text(message):
        def change(d):
            d["message"] = message

        return change

    name = "bugsink/top-level-message-as-str-no-exception.json"
    a = hash_of(name, text("User 17 (bob@example.com) failed after 250ms at 10.0.0.1"))
    b = hash_of(name, text("User 4 (amy@example.org) failed after 3s at 192.168.1.20"))
    c = hash_of(name, text("Payment 4 failed"))
    assert a == b != c


def test_parameterize_replaces_variable_parts():
    text = (
        "user 42 jo@x.io 550e8400-e29b-41d4-a716-446655440000 https://x.io/a?b=1 10.1.2.3 "
        "2024-03-19T11:50:26Z 0xdeadbeef d41d8cd98f00b204e9800998ecf8427e 1.5 12ms"
    )
    assert parameterize(text) == (
        "user <int> <email> <uuid> <url> <ip> <date> <hex> <hash> <float> <duration>"
    )


def test_sdk_fingerprint_replaces_the_default():
    name = "sentry/custom-fingerprint.json"
    result = grouping.compute(event(name))
    assert [c["value"] for c in result.components if c["contributes"]] == [
        "celery",
        "SoftTimeLimitExceeded",
        "sentry.tasks.store.process_event",
    ]
    assert hash_of(name) != hash_of(name, lambda d: d.pop("fingerprint"))


def test_default_fingerprint_variable_keeps_the_default_hash():
    name = RICH
    assert hash_of(name, lambda d: d.update(fingerprint=["{{ default }}"])) == hash_of(name)
    assert hash_of(name, lambda d: d.update(fingerprint=["{{ default }}", "tenant-a"])) != hash_of(
        name
    )


def test_fingerprint_variables_resolve_from_the_event():
    def fp(*entries):
        return lambda d: d.update(fingerprint=list(entries), transaction="/checkout")

    comps = grouping.compute(event(RICH, fp("{{ type }}", "{{ function }}", "{{ transaction }}")))
    values = [c["value"] for c in comps.components if c["kind"] == "fingerprint"]
    assert values == ["VisualshotsCheckoutError", "complete_with_code_only", "/checkout"]


def test_integer_fingerprint_entries_are_accepted():
    result = grouping.compute(event("sentry/custom-fingerprint-int.json"))
    assert [c["value"] for c in result.components if c["kind"] == "fingerprint"][1] == "123"


def test_components_say_why_a_frame_did_not_contribute():
    comps = grouping.compute(event(RICH)).components
    hints = {c["label"]: c["hint"] for c in comps if not c["contributes"]}
    assert hints["exception 1, frame 4"] == "not in-app"
    assert hints["exception 1 value"] == "frames contribute"
