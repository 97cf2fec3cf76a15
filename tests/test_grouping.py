"""One test per grouping rule, each built from the repo's payloads (tests/fixtures/events)."""

import copy
from collections.abc import Callable
from datetime import UTC, datetime

from digest import grouping
from digest.normalize import normalize
from digest.parameterize import parameterize
from tests.payloads import fixture

NOW = datetime(2030, 1, 1, tzinfo=UTC)
Change = Callable[[dict], None] | None

# sentry-sdk: a cause and its exception, in-app flags, stdlib frames without flags, context
PYTHON = "python/chained-cause.json"
BROWSER = "browser/chained-cause.json"  # minified bundle named by content hash, no modules
JAVA = "java/chained-exceptions.json"


def event(name: str, change: Change = None) -> dict:
    data = copy.deepcopy(fixture(name))
    if change:
        change(data)
    return normalize(data, "0" * 32, NOW)


def hash_of(name: str, change: Change = None) -> str:
    return grouping.compute(event(name, change)).hash


def components(name: str, change: Change = None) -> list[dict]:
    return grouping.compute(event(name, change)).components


def frames(data: dict, exc: int = -1) -> list[dict]:
    values = data["exception"]["values"] if isinstance(data["exception"], dict) else []
    return values[exc]["stacktrace"]["frames"]


def all_frames(data: dict) -> list[dict]:
    """Every frame of a raw payload: its exceptions' (as values or a bare list), its own
    stack trace's and its threads'."""
    exc = data.get("exception") or {}
    holders = [*(exc.get("values") or [] if isinstance(exc, dict) else exc), data]
    holders += (data.get("threads") or {}).get("values") or []
    stacks = [h.get("stacktrace") or {} for h in holders if isinstance(h, dict)]
    return [f for s in stacks for f in s.get("frames") or [] if isinstance(f, dict)]


def frame(data: dict, function: str) -> dict:
    """The first frame (of any exception) that runs `function`."""
    return next(f for f in all_frames(data) if f.get("function") == function)


def test_line_and_column_numbers_do_not_contribute():
    def shift(d):
        for f in all_frames(d):
            f["lineno"] = f.get("lineno", 0) + 7
            f["colno"] = f.get("colno", 0) + 3

    assert hash_of(PYTHON) == hash_of(PYTHON, shift)
    assert hash_of(BROWSER) == hash_of(BROWSER, shift)


def test_absolute_paths_and_directories_do_not_contribute():
    def move(d):
        for f in all_frames(d):
            f["abs_path"] = "/somewhere/else/" + f["filename"]
            f["filename"] = "other/dir/" + f["filename"].split("/")[-1]

    assert hash_of(PYTHON) == hash_of(PYTHON, move)

    def other_cdn(d):
        for f in all_frames(d):
            f["filename"] = f["filename"].replace("https://shop.example.com/static/", "/assets/")

    assert hash_of(BROWSER) == hash_of(BROWSER, other_cdn)


def test_content_hashes_and_versions_in_file_names_are_stripped():
    def bundle(name):
        def change(d):
            for f in all_frames(d):
                if f["filename"].endswith(".js"):
                    f["filename"] = f"https://shop.example.com/static/{name}"

        return change

    def same(a: str, b: str) -> bool:
        return hash_of(BROWSER, bundle(a)) == hash_of(BROWSER, bundle(b))

    assert hash_of(BROWSER) == hash_of(BROWSER, bundle("app.Q2W3E4R5.js"))  # esbuild's hash
    assert same("main.3f2a1b.js", "main.9c8d7e.js")
    assert same("app-1.2.3.min.js", "app-1.3.0.min.js")
    assert not same("main.3f2a1b.js", "vendor.3f2a1b.js")
    comps = components("edge/javascript-no-in-app.json")
    values = [c["value"] for c in comps if c["kind"] == "frame"]
    assert [v.split(" | ")[0] for v in values] == [
        "react-dom.production.min.js",  # the filename wins over abs_path
        "main.js",
        "chunk.js",
        "app.min.js",
        "task_queues",
        "<anonymous>",
    ]


def test_anonymous_functions_are_normalized():
    def named(function):
        return lambda d: frame(d, "parse_reply").update(function=function)

    names = ["<anonymous>", "?", "Object.<anonymous>", "anonymous", "<lambda>", " {closure} "]
    assert len({hash_of(PYTHON, named(n)) for n in names}) == 1
    assert hash_of(PYTHON, named("<anonymous>")) != hash_of(PYTHON, named("checkout"))


def test_each_runtimes_function_spellings_are_normalized():
    values = [c["value"] for c in components("edge/function-names.json") if c["kind"] == "frame"]
    assert values == [
        "jobs.py | <anonymous>",
        "App\\Jobs | App\\Jobs\\Import::{closure}",
        "importer | block in <class:Importer>",
        "com.acme.Importer | lambda$run",
        "Importer.java | Importer$$Lambda.accept",
        "Importer.java | Importer$<anonymous>.call",
        "importer::rows | importer::rows::{{closure}}",
        "import.js | <anonymous> | rows.forEach(row => insert(row))",  # node: context counts
        "import.js | <anonymous>",
    ]


def test_short_context_lines_contribute_with_whitespace_collapsed():
    def line(text):
        return lambda d: frame(d, "parse_reply").update(context_line=text)

    assert hash_of(PYTHON, line("    return json.loads(body)")) == hash_of(
        PYTHON, line("return   json.loads(body)  ")
    )
    assert hash_of(PYTHON, line("a = 1")) != hash_of(PYTHON, line("a = 2"))
    assert hash_of(PYTHON, line("x" * 121)) == hash_of(PYTHON, line("y" * 121))
    assert hash_of(PYTHON, line("x" * 121)) == hash_of(PYTHON, line(""))


def test_context_lines_do_not_contribute_for_other_platforms():
    def line(text):
        def change(d):
            for f in all_frames(d):
                f["context_line"] = text

        return change

    for name in (JAVA, "go/wrapped-error.json", "edge/nonsense-platform.json"):
        assert hash_of(name, line("a = 1")) == hash_of(name, line("b = 2")), name
    for name in ("php/laravel-query-exception.json", "ruby/rails-record-not-found.json"):
        assert hash_of(name, line("a = 1")) != hash_of(name, line("b = 2")), name


def test_a_frames_own_platform_decides_whether_its_context_line_counts():
    def context(function: str, text: str):
        return lambda d: frame(d, function).update(context_line=text)

    name = "edge/function-names.json"  # event platform "other"
    java = "Importer$3.call"
    assert hash_of(name, context(java, "x")) == hash_of(name, context(java, "y"))
    assert hash_of(name, context("Object.<anonymous>", "x")) != hash_of(
        name, context("Object.<anonymous>", "y")
    )  # platform node


def test_only_in_app_frames_contribute_when_there_are_any():
    def rename(function, new):
        return lambda d: frame(d, function).update(function=new)

    assert hash_of(PYTHON) == hash_of(PYTHON, rename("raw_decode", "other"))  # stdlib, unflagged
    assert hash_of(PYTHON) != hash_of(PYTHON, rename("parse_reply", "other"))
    assert hash_of(JAVA) == hash_of(JAVA, rename("doPost", "doPut"))  # in_app false
    assert hash_of(JAVA) != hash_of(JAVA, rename("onFailure", "onSuccess"))


def test_library_and_runtime_paths_are_not_in_app_without_flags():
    def rename(name, function):
        def change(d):
            frame(d, function)["function"] = "renamed"

        return hash_of(name, change) != hash_of(name)

    python = "edge/python-no-in-app.json"
    assert not rename(python, "feed")  # site-packages
    assert not rename(python, "decode")  # /usr/lib/python3.12
    assert not rename(python, "_run_module_as_main")  # <frozen runpy>
    assert not rename(python, "<module>")  # <string>
    assert rename(python, "read_rows")
    others = "edge/ruby-php-library-paths.json"
    # lib/ruby/3.1.0, /usr/share/php, native, internal/
    for function in ("connect", "search", "socket_connect", "startup"):
        assert not rename(others, function), function
    assert rename(others, "query")
    js = "edge/javascript-no-in-app.json"
    assert not rename(js, "processTicksAndRejections")  # node:internal
    assert rename(js, "ProductList")
    assert not rename("edge/top-level-stacktrace.json", "forEach")  # [native code]


def test_directly_repeated_frames_collapse():
    def recurse(times):
        def change(d):
            fs = frames(d)
            repeated = frame(d, "find_category")
            start = fs.index(repeated)
            fs[start : len(fs)] = [copy.deepcopy(repeated) for _ in range(times)]

        return change

    assert hash_of("python/recursion.json", recurse(1)) == hash_of("python/recursion.json")
    assert hash_of("python/recursion.json", recurse(9)) == hash_of("python/recursion.json")
    hints = [c["hint"] for c in components("python/recursion.json")]
    assert hints.count("recursion collapsed") == 3


def test_every_chained_exception_contributes():
    def rename_cause(d):
        d["exception"]["values"][0]["type"] = "SomeOtherCause"

    assert len(event(JAVA)["exception"]["values"]) == 3
    assert hash_of(JAVA) != hash_of(JAVA, rename_cause)
    assert hash_of(PYTHON) != hash_of(PYTHON, rename_cause)
    assert hash_of("node/chained-cause.json") != hash_of("node/chained-cause.json", rename_cause)


def test_exception_groups_contribute_every_member():
    def rename_member(d):
        d["exception"]["values"][0]["type"] = "KeyError"

    name = "python/exception-group.json"
    assert [c["value"] for c in components(name) if c["kind"] == "type"] == [
        "ValueError",
        "ValueError",
        "ExceptionGroup",
    ]
    assert hash_of(name) != hash_of(name, rename_member)


def test_exception_value_contributes_only_without_frames():
    def value(text):
        return lambda d: d["exception"]["values"][-1].update(value=text)

    assert hash_of(PYTHON, value("one thing")) == hash_of(PYTHON, value("another"))
    no_frames = "edge/exception-no-frames.json"
    assert hash_of(no_frames, value("one thing")) != hash_of(no_frames, value("another"))
    assert hash_of(no_frames, value("order 12 failed for a@b.io")) == hash_of(
        no_frames, value("order 9 failed for c@d.org")
    )
    for name in ("edge/exception-null-frames.json", "cocoa/swift-bad-access.json"):
        assert hash_of(name, value("one thing")) != hash_of(name, value("another")), name


def test_an_exception_with_nothing_to_group_by_falls_back_to_the_message():
    comps = components("edge/exception-empty-with-message.json")
    assert [(c["kind"], c["value"]) for c in comps] == [
        ("message", "The OS watchdog terminated the application")
    ]
    only_frames = components("edge/frames-missing-info.json", lambda d: d["exception"].update(
        values=[{"stacktrace": {"frames": [{"lineno": 1}]}}]
    ))  # fmt: skip
    assert [c["kind"] for c in only_frames if c["contributes"]] == ["fallback"]


def test_a_top_level_stack_or_the_crashed_threads_stack_groups_events_without_exception():
    comps = components("edge/top-level-stacktrace.json")
    assert [c["value"] for c in comps if c["contributes"]] == [
        "jquery.min.js | HTMLDocument.dispatch",
        "cart.js | renderCart | cart.items.forEach(function (item) {",
        "cart.js | <anonymous>",
    ]
    name = "edge/threads-crashed-no-exception.json"
    assert [c["value"] for c in components(name) if c["contributes"]] == [
        "com.acme.cache.Evictor | evict",
        "com.acme.cache.Segment | lock",
    ]

    def rename_idle_thread(d):
        d["threads"]["values"][0]["stacktrace"]["frames"][0]["function"] = "other"

    assert hash_of(name) == hash_of(name, rename_idle_thread)


def test_a_stack_without_usable_frames_leaves_the_message_to_group_by():
    def blank(d):
        d["stacktrace"]["frames"] = [{"lineno": n} for n in range(3)]

    comps = components("edge/top-level-stacktrace.json", blank)
    assert [(c["kind"], c["value"]) for c in comps] == [
        ("message", "Uncaught TypeError: cart.items is undefined")
    ]
    unsymbolicated = components("edge/stack-without-symbols.json")  # addresses only
    assert [(c["kind"], c["value"]) for c in unsymbolicated] == [
        ("message", "watchdog: render thread stalled for <duration>")
    ]


def test_log_messages_group_by_template():
    def params(*values):
        def change(d):
            d["logentry"]["params"] = list(values)
            d["logentry"].pop("formatted", None)

        return change

    name = "python/log-message-params.json"
    assert hash_of(name, params("SKU-1", 1, 2)) == hash_of(name, params("SKU-9", 5, 7))
    assert [c["kind"] for c in components(name)] == ["message"]
    named = "edge/logentry-params-dict.json"
    assert hash_of(named) == hash_of(
        named, lambda d: d["logentry"].update(params={"contact": "c-1", "account": "x"})
    )


def test_messages_without_template_group_by_parameterized_text():
    def text(message):
        return lambda d: d.update(message=message)

    name = "edge/message-string.json"
    a = hash_of(name, text("User 17 (bob@example.com) failed after 250ms at 10.0.0.1"))
    b = hash_of(name, text("User 4 (amy@example.org) failed after 3s at 192.168.1.20"))
    c = hash_of(name, text("Payment 4 failed"))
    assert a == b != c
    assert [c["value"] for c in components(name)] == [
        "Bounce rate for campaign <int> reached <float>% (threshold <int>%)"
    ]


def test_an_event_with_nothing_to_group_by_still_gets_a_hash():
    assert [c["kind"] for c in components("edge/empty-object.json")] == ["fallback"]
    assert hash_of("edge/empty-object.json") == hash_of("edge/weird-types.json")


def test_parameterize_replaces_variable_parts():
    text = (
        "user 42 jo@x.io 550e8400-e29b-41d4-a716-446655440000 https://x.io/a?b=1 10.1.2.3 "
        "2024-03-19T11:50:26Z 0xdeadbeef d41d8cd98f00b204e9800998ecf8427e 1.5 12ms "
        "fe80::1 Tue, 19 Mar 2024 11:50:26"
    )
    assert parameterize(text) == (
        "user <int> <email> <uuid> <url> <ip> <date> <hex> <hash> <float> <duration> "
        "<ip> <date> <date>"
    )


def test_sdk_fingerprint_replaces_the_default():
    for name, expected in [
        ("python/custom-fingerprint.json", ["payment-gateway", "timeout"]),
        ("browser/scope-fingerprint.json", ["storefront-price-format"]),
    ]:
        comps = components(name)
        assert [c["value"] for c in comps if c["contributes"]] == expected
        replaced = [c for c in comps if c["hint"] == "replaced by the SDK's fingerprint"]
        assert replaced and not any(c["contributes"] for c in replaced)
        assert hash_of(name) != hash_of(name, lambda d: d.pop("fingerprint"))


def test_the_same_fingerprint_groups_different_stacks_together():
    def other_stack(d):
        for f in all_frames(d):
            f["function"] = "elsewhere"

    name = "python/custom-fingerprint.json"
    assert hash_of(name) == hash_of(name, other_stack)


def test_default_fingerprint_variable_keeps_the_default_hash():
    only_default = "edge/fingerprint-default-only.json"
    assert hash_of(only_default) == hash_of(only_default, lambda d: d.pop("fingerprint"))
    extended = "python/default-fingerprint-extended.json"  # {{ default }} + a tenant
    assert hash_of(extended) != hash_of(extended, lambda d: d.pop("fingerprint"))
    assert hash_of(extended) != hash_of(
        extended, lambda d: d.update(fingerprint=["{{ default }}", "tenant-us-2"])
    )
    node = components("node/scope-fingerprint.json")  # ["inventory", "{{ default }}"]
    assert any(c["kind"] == "frame" and c["contributes"] for c in node)


def test_fingerprint_variables_resolve_from_the_event():
    comps = components("edge/fingerprint-variables.json")
    assert [c["value"] for c in comps if c["kind"] == "fingerprint"] == [
        "StepFailed",
        "StepFailed",
        "step shipping failed",
        "step shipping failed",
        "run_step",
        "shop.checkout",
        "/checkout/{step}",
        "warning",
        "shop.checkout",
        "checkout step failed",
        "shop@2.4.1",
        "staging",
        "acme-eu",
        "<no tags.missing>",
        "<no nonsense>",
        "{{ default }}",  # {{ DEFAULT }}: variable names are case-insensitive
    ]


def test_fingerprint_variables_of_an_event_without_exception_or_frames():
    def fp(d):
        d["fingerprint"] = ["{{ type }}", "{{ function }}", "{{ message }}"]

    comps = components("edge/message-string.json", fp)
    assert [c["value"] for c in comps if c["kind"] == "fingerprint"] == [
        "<no type>",
        "<no function>",
        "Bounce rate for campaign 2211 reached 7.5% (threshold 5%)",
    ]


def test_integer_fingerprint_entries_are_accepted():
    comps = components("edge/fingerprint-int.json")
    assert [c["value"] for c in comps if c["kind"] == "fingerprint"] == [
        "payments",
        "402",
        "1.5",
        "true",
    ]


def test_components_say_why_a_frame_did_not_contribute():
    hints = {c["label"]: c["hint"] for c in components(PYTHON) if not c["contributes"]}
    assert hints["exception 1, frame 3"] == "not in-app"
    assert hints["exception 1 value"] == "frames contribute"
    missing = {c["label"]: c["hint"] for c in components("edge/frames-missing-info.json")}
    assert missing["exception 1, frame 1"] == "no module, file or function"


def test_unprocessable_events_share_one_fallback_group():
    a, b = grouping.fallback("payload is not JSON"), grouping.fallback("exception was a number")
    assert a.hash == b.hash and a.version == "fallback"
    assert a.components[0]["hint"] == "payload is not JSON"
