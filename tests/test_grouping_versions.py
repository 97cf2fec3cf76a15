"""Pins each grouping version's output: changing an algorithm must add a version, not edit one.

If a test here fails, you changed what an existing version computes. Restore it and add the
change as a new entry in `digest.grouping.VERSIONS` (with its own pins below) instead.

The repo's fixtures are pinned always. Re-capturing a fixture from its SDK
(tests/fixtures/capture_events.py) keeps its pin unless the app code behind it changed; if a
pin moves after a capture and `digest/grouping.py` is unchanged, re-pin that file only. The
shared corpus is pinned too, and checked when it is present.
"""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest import grouping
from digest.normalize import normalize, parse
from tests.payloads import CORPUS, FIXTURES, corpus_payloads, fixture_payloads

PINNED: dict[str, dict[str, str]] = {
    "frames-v1": {
        "android/kotlin-crash.json": "2ddfdbd37660d088647bb8d570dc00f3",
        "android/ndk-native.json": "5cbe3ae88c58a25b7fc6eab99f85b495",
        "broken/event-id-not-uuid.json": "7aa6639023039e1f6eef80680e69ade0",
        "browser/chained-cause.json": "ef7a30b9f5162105bdaf1bac57d84b2d",
        "browser/click-handler.json": "78f043261df790d9348f9e44752fd737",
        "browser/message-breadcrumbs.json": "9b20d41ff34b3ecadf4f0297747613d4",
        "browser/scope-fingerprint.json": "0083c8f97e7800dff779b21b7c861765",
        "browser/unhandled-rejection.json": "69d950ed4c3f71da908aa9ac02d0c71c",
        "cocoa/objc-nsexception.json": "1dfcb207bbc1cfc6d630bc41d98c4653",
        "cocoa/swift-bad-access.json": "0b8e6ed899042f2634fc2b5c4f3f3029",
        "dotnet/aspnetcore-divide-by-zero.json": "cb6aee931d2f7196f6c7222ac1a60041",
        "dotnet/unobserved-task.json": "f937d9c70142f09e1701a90bf2ab1433",
        "edge/breadcrumbs-list.json": "594af6f46559d4b0d4d18daff27f530d",
        "edge/empty-object.json": "ba970bb7be1cd6f08f4064135d3a50b5",
        "edge/event-id-dashed.json": "6d3f9a07dc60d0c45fda519b7e61cb72",
        "edge/exception-empty-with-message.json": "da8e61ed44265fd419aa88ef8dba7fff",
        "edge/exception-no-frames.json": "aa7327c346b338c41226769e2e3f4eee",
        "edge/exception-null-frames.json": "3103038618578d2ab55d68d7e1997b21",
        "edge/exception-single-object.json": "175a3eed887bac8f147d79a5781e51f1",
        "edge/exception-type-only.json": "b1073a54a5c82498adae26724bfbb763",
        "edge/exception-value-only.json": "b709fab091a5aa725a06ee9660a0343f",
        "edge/exception-values-null.json": "d2bcd338177e90f93915f731dc201405",
        "edge/fingerprint-default-only.json": "8fce3591c0b4d309947f7babc404b8eb",
        "edge/fingerprint-int.json": "ee3b90f42b973021fce3876a1325d36b",
        "edge/fingerprint-not-a-list.json": "08cb9c4f9cc2a0d8e35aea92313c6e30",
        "edge/fingerprint-variables.json": "deae043162f0853a8b75b59b8e173e38",
        "edge/frames-missing-info.json": "9f42c5ac2a00c252f2660216e3763e0b",
        "edge/function-names.json": "40be98f3b10f17b9333707ef4cc5c1eb",
        "edge/headers-as-list.json": "bbcf6c6ccbc6b52b8d9b516a43d104b0",
        "edge/javascript-no-in-app.json": "d66dd85c820e364adca9b15925fd2497",
        "edge/logentry-format-mismatch.json": "9264095345b6dcc48005b745d5be0aae",
        "edge/logentry-formatted-only.json": "5883059cebd51aca965486889b259116",
        "edge/logentry-message-only.json": "4f8b356b5bdcf2e8acfc10d6be2cac4e",
        "edge/logentry-params-dict.json": "eeed5e1435b61688d887026375cf3020",
        "edge/logentry-string.json": "d570529ff076cabeb09c242139d12283",
        "edge/markup-in-strings.json": "ed25ea1fd176433771b57abd59cd224b",
        "edge/message-object-params.json": "090f81a7cc3964a4bf6ab40db4dd592c",
        "edge/message-string-with-exception.json": "708f6051dc2e0c4708a7c364c1ff2650",
        "edge/message-string.json": "4c8afc3b6265cfb1dacc99f37e667841",
        "edge/nonsense-platform.json": "ad276f2daa0620b405fa00468ea31d22",
        "edge/nul-characters.json": "aaed3be896d859716102239ee1087f32",
        "edge/python-no-in-app.json": "36d3bcce7d314fe7210659a4b163a681",
        "edge/ruby-php-library-paths.json": "088e87a4278b43f870333b9e8a59378c",
        "edge/stack-without-symbols.json": "c4440e108a5e6bf21d6305d484229a00",
        "edge/tags-pairs.json": "0f83afe95ca3c0ee29a63e97acdc7b40",
        "edge/threads-crashed-no-exception.json": "dae893bbde87d73ace5d496bd94b986d",
        "edge/timestamp-far-future.json": "734fbdb8c61d90625db5976c42c652ae",
        "edge/timestamp-missing.json": "02bd0a6d24a7080e4f651c6244c3509b",
        "edge/timestamp-naive-iso.json": "3e428fa5330e373b0897908f8c503c9d",
        "edge/timestamp-numeric-string.json": "cd4ac4d897ffd10e7e2911e55d8c335a",
        "edge/timestamp-unparseable.json": "961fa1ae0d596cc34517030a2b475129",
        "edge/top-level-stacktrace.json": "6efcc73640615d90693e7f579c4985af",
        "edge/user-id-int.json": "c4ccc99f21f8cc58cbdb636b5ec6d1c8",
        "edge/weird-types.json": "ba970bb7be1cd6f08f4064135d3a50b5",
        "go/panic-recovered.json": "ed370cfe62c5e55e9a2daab80ca7f609",
        "go/wrapped-error.json": "d14f86a3b6c9bd9a8381be210308f75e",
        "java/chained-exceptions.json": "97734ce0fda133f1d4fcd6ca7f68c9d2",
        "java/minimal.json": "6d83ad46f23d8243773fe2c61783d163",
        "native/linux-abort-cpp.json": "cd58338675421992ca476e4fbe92496e",
        "native/minidump-access-violation.json": "25ad1b89d10bb902c4e2ca90166f0fbf",
        "node/chained-cause.json": "142812d638fb31b8cbfb44a58713d8ce",
        "node/http-request.json": "32848a816224eaea4dcf45081c085dfd",
        "node/message-params.json": "46b6ef48c0ae0517c14164abbfcdd517",
        "node/scope-fingerprint.json": "52742a4b290466597dcae53fd198f45b",
        "node/uncaught.json": "7ecd0e9303d62458dfb5c82b90773d88",
        "node/unhandled-rejection.json": "00272c462e62308a8158d9ce4c139bc6",
        "php/cli-warning.json": "054a0496c4f53786e9bca11cfe68a626",
        "php/laravel-query-exception.json": "1384f1a11c735e57b9f81392bec40a46",
        "python/chained-cause.json": "2d30f894c7dae8cde9bdfbeadbcde0fa",
        "python/custom-fingerprint.json": "f0f729eca60841494c6e79504abc8289",
        "python/default-fingerprint-extended.json": "c7f431180b5fda95c990dd6a961900cc",
        "python/exception-group.json": "e82d1c6da8203f9be2933bfa459e0632",
        "python/log-exception.json": "96420fe9a33fe09ea3639116af422aec",
        "python/log-message-params.json": "ffc6729d674a3e0e5e93e094815d20a9",
        "python/message-with-stacktrace.json": "8950bf1385aaed9b5bfb515e2b257cb6",
        "python/recursion.json": "61b7c8dce03b9c86d50b5695a3d01efe",
        "python/unhandled.json": "f8be366ee91b21a5aa275bbf384be10a",
        "python/wsgi-request.json": "ee367464d44f6aa84d857267aebaffa9",
        "ruby/rails-record-not-found.json": "40904367414501703990b6920207568e",
        "ruby/sidekiq-no-in-app.json": "83eae742e46929db7b6842dad0764c6b",
    },
    # frames-v2 hashes in frames-v1's namespace: these events keep their issues.
    "frames-v2": {
        "android/kotlin-crash.json": "2ddfdbd37660d088647bb8d570dc00f3",
        "android/ndk-native.json": "5cbe3ae88c58a25b7fc6eab99f85b495",
        "broken/event-id-not-uuid.json": "7aa6639023039e1f6eef80680e69ade0",
        "browser/chained-cause.json": "ef7a30b9f5162105bdaf1bac57d84b2d",
        "browser/click-handler.json": "78f043261df790d9348f9e44752fd737",
        "browser/message-breadcrumbs.json": "9b20d41ff34b3ecadf4f0297747613d4",
        "browser/scope-fingerprint.json": "0083c8f97e7800dff779b21b7c861765",
        "browser/unhandled-rejection.json": "69d950ed4c3f71da908aa9ac02d0c71c",
        "cocoa/objc-nsexception.json": "1dfcb207bbc1cfc6d630bc41d98c4653",
        "cocoa/swift-bad-access.json": "0b8e6ed899042f2634fc2b5c4f3f3029",
        "dotnet/aspnetcore-divide-by-zero.json": "cb6aee931d2f7196f6c7222ac1a60041",
        "dotnet/unobserved-task.json": "f937d9c70142f09e1701a90bf2ab1433",
        "edge/breadcrumbs-list.json": "594af6f46559d4b0d4d18daff27f530d",
        "edge/empty-object.json": "ba970bb7be1cd6f08f4064135d3a50b5",
        "edge/event-id-dashed.json": "6d3f9a07dc60d0c45fda519b7e61cb72",
        "edge/exception-empty-with-message.json": "da8e61ed44265fd419aa88ef8dba7fff",
        "edge/exception-no-frames.json": "aa7327c346b338c41226769e2e3f4eee",
        "edge/exception-null-frames.json": "3103038618578d2ab55d68d7e1997b21",
        "edge/exception-single-object.json": "175a3eed887bac8f147d79a5781e51f1",
        "edge/exception-type-only.json": "b1073a54a5c82498adae26724bfbb763",
        "edge/exception-value-only.json": "b709fab091a5aa725a06ee9660a0343f",
        "edge/exception-values-null.json": "d2bcd338177e90f93915f731dc201405",
        "edge/fingerprint-default-only.json": "8fce3591c0b4d309947f7babc404b8eb",
        "edge/fingerprint-int.json": "ee3b90f42b973021fce3876a1325d36b",
        "edge/fingerprint-not-a-list.json": "08cb9c4f9cc2a0d8e35aea92313c6e30",
        "edge/fingerprint-variables.json": "deae043162f0853a8b75b59b8e173e38",
        "edge/frames-missing-info.json": "9f42c5ac2a00c252f2660216e3763e0b",
        "edge/function-names.json": "40be98f3b10f17b9333707ef4cc5c1eb",
        "edge/headers-as-list.json": "bbcf6c6ccbc6b52b8d9b516a43d104b0",
        "edge/javascript-no-in-app.json": "d66dd85c820e364adca9b15925fd2497",
        "edge/logentry-format-mismatch.json": "9264095345b6dcc48005b745d5be0aae",
        "edge/logentry-formatted-only.json": "5883059cebd51aca965486889b259116",
        "edge/logentry-message-only.json": "4f8b356b5bdcf2e8acfc10d6be2cac4e",
        "edge/logentry-params-dict.json": "eeed5e1435b61688d887026375cf3020",
        "edge/logentry-string.json": "d570529ff076cabeb09c242139d12283",
        "edge/markup-in-strings.json": "ed25ea1fd176433771b57abd59cd224b",
        "edge/message-object-params.json": "090f81a7cc3964a4bf6ab40db4dd592c",
        "edge/message-string-with-exception.json": "708f6051dc2e0c4708a7c364c1ff2650",
        "edge/message-string.json": "4c8afc3b6265cfb1dacc99f37e667841",
        "edge/nonsense-platform.json": "ad276f2daa0620b405fa00468ea31d22",
        "edge/nul-characters.json": "aaed3be896d859716102239ee1087f32",
        "edge/python-no-in-app.json": "36d3bcce7d314fe7210659a4b163a681",
        "edge/ruby-php-library-paths.json": "088e87a4278b43f870333b9e8a59378c",
        "edge/stack-without-symbols.json": "c4440e108a5e6bf21d6305d484229a00",
        "edge/tags-pairs.json": "0f83afe95ca3c0ee29a63e97acdc7b40",
        "edge/threads-crashed-no-exception.json": "dae893bbde87d73ace5d496bd94b986d",
        "edge/timestamp-far-future.json": "734fbdb8c61d90625db5976c42c652ae",
        "edge/timestamp-missing.json": "02bd0a6d24a7080e4f651c6244c3509b",
        "edge/timestamp-naive-iso.json": "3e428fa5330e373b0897908f8c503c9d",
        "edge/timestamp-numeric-string.json": "cd4ac4d897ffd10e7e2911e55d8c335a",
        "edge/timestamp-unparseable.json": "961fa1ae0d596cc34517030a2b475129",
        "edge/top-level-stacktrace.json": "6efcc73640615d90693e7f579c4985af",
        "edge/user-id-int.json": "c4ccc99f21f8cc58cbdb636b5ec6d1c8",
        "edge/weird-types.json": "ba970bb7be1cd6f08f4064135d3a50b5",
        "go/panic-recovered.json": "ed370cfe62c5e55e9a2daab80ca7f609",
        "go/wrapped-error.json": "d14f86a3b6c9bd9a8381be210308f75e",
        "java/chained-exceptions.json": "97734ce0fda133f1d4fcd6ca7f68c9d2",
        "java/minimal.json": "6d83ad46f23d8243773fe2c61783d163",
        "native/linux-abort-cpp.json": "cd58338675421992ca476e4fbe92496e",
        "native/minidump-access-violation.json": "25ad1b89d10bb902c4e2ca90166f0fbf",
        "node/chained-cause.json": "142812d638fb31b8cbfb44a58713d8ce",
        "node/http-request.json": "32848a816224eaea4dcf45081c085dfd",
        "node/message-params.json": "46b6ef48c0ae0517c14164abbfcdd517",
        "node/scope-fingerprint.json": "52742a4b290466597dcae53fd198f45b",
        "node/uncaught.json": "7ecd0e9303d62458dfb5c82b90773d88",
        "node/unhandled-rejection.json": "00272c462e62308a8158d9ce4c139bc6",
        "php/cli-warning.json": "054a0496c4f53786e9bca11cfe68a626",
        "php/laravel-query-exception.json": "1384f1a11c735e57b9f81392bec40a46",
        "python/chained-cause.json": "2d30f894c7dae8cde9bdfbeadbcde0fa",
        "python/custom-fingerprint.json": "f0f729eca60841494c6e79504abc8289",
        "python/default-fingerprint-extended.json": "c7f431180b5fda95c990dd6a961900cc",
        "python/exception-group.json": "e82d1c6da8203f9be2933bfa459e0632",
        "python/log-exception.json": "96420fe9a33fe09ea3639116af422aec",
        "python/log-message-params.json": "ffc6729d674a3e0e5e93e094815d20a9",
        "python/message-with-stacktrace.json": "8950bf1385aaed9b5bfb515e2b257cb6",
        "python/recursion.json": "61b7c8dce03b9c86d50b5695a3d01efe",
        "python/unhandled.json": "f8be366ee91b21a5aa275bbf384be10a",
        "python/wsgi-request.json": "ee367464d44f6aa84d857267aebaffa9",
        "ruby/rails-record-not-found.json": "40904367414501703990b6920207568e",
        "ruby/sidekiq-no-in-app.json": "83eae742e46929db7b6842dad0764c6b",
    },
}

# Over ../shared/corpus, checked only where it is present.
CORPUS_PINNED: dict[str, dict[str, str]] = {
    "frames-v1": {
        "bugsink/visualshots-rich.json": "5b24bf839525561f7e1e25426f870678",
        "bugsink/exception-group.json": "a18189bc40cb263336a530ed2204d0cc",
        "bugsink/exception_no_frames.json": "c47108bf3f4f665577fea8a20ecb035b",
        "bugsink/exception_null_frames.json": "c47108bf3f4f665577fea8a20ecb035b",
        "bugsink/logmessage-w-params.json": "f1f8319d3f23db18918461705eb84a4d",
        "bugsink/top-level-message-as-str-no-exception.json": "5485465745c68382e78d45672405deaf",
        "bugsink/top-level-logentry-as-str.json": "25a8a2cd151921d55f50d1864f3e6afa",
        "bugsink/laravel.json": "7084a293efedd09f1ceebca008ec3f46",
        "bugsink/issue-16-go.json": "5065d6adcfff4c742a7cc6fe6c3723ae",
        "glitchtip/dotnet_divide_zero.json": "0177c087c8ecff7b027a4a03417c447e",
        "sentry/java-chained.json": "ab6ba4da6587bef1a0190f9561eb3c16",
        "sentry/javascript-xbrowser-chrome.json": "0fab157c1227a446250d7f134addd10e",
        "sentry/custom-fingerprint.json": "c75f2464661dfec25ed8d818508584fe",
        "sentry/custom-fingerprint-int.json": "60e59fd02cc889a77da566400b4e5b73",
        "sentry/android-ndk.json": "86682d897f31dfd41e5842d5d6083664",
        "sentry/python-http-error.json": "56114e175fe79882f5f024028d1b53ad",
        "sentry/unity.json": "f05bf2c324f293de2be06befe1e92b67",
    },
    # frames-v2 hashes in frames-v1's namespace: these events keep their issues.
    "frames-v2": {
        "bugsink/visualshots-rich.json": "5b24bf839525561f7e1e25426f870678",
        "bugsink/exception-group.json": "a18189bc40cb263336a530ed2204d0cc",
        "bugsink/exception_no_frames.json": "c47108bf3f4f665577fea8a20ecb035b",
        "bugsink/exception_null_frames.json": "c47108bf3f4f665577fea8a20ecb035b",
        "bugsink/logmessage-w-params.json": "f1f8319d3f23db18918461705eb84a4d",
        "bugsink/top-level-message-as-str-no-exception.json": "5485465745c68382e78d45672405deaf",
        "bugsink/top-level-logentry-as-str.json": "25a8a2cd151921d55f50d1864f3e6afa",
        "bugsink/laravel.json": "7084a293efedd09f1ceebca008ec3f46",
        "bugsink/issue-16-go.json": "5065d6adcfff4c742a7cc6fe6c3723ae",
        "glitchtip/dotnet_divide_zero.json": "0177c087c8ecff7b027a4a03417c447e",
        "sentry/java-chained.json": "ab6ba4da6587bef1a0190f9561eb3c16",
        "sentry/javascript-xbrowser-chrome.json": "0fab157c1227a446250d7f134addd10e",
        "sentry/custom-fingerprint.json": "c75f2464661dfec25ed8d818508584fe",
        "sentry/custom-fingerprint-int.json": "60e59fd02cc889a77da566400b4e5b73",
        "sentry/android-ndk.json": "86682d897f31dfd41e5842d5d6083664",
        "sentry/python-http-error.json": "56114e175fe79882f5f024028d1b53ad",
        "sentry/unity.json": "f05bf2c324f293de2be06befe1e92b67",
    },
}


def hash_of(path: Path, version: str) -> str:
    data = normalize(parse(path.read_bytes()), "0" * 32, datetime(2025, 1, 1, tzinfo=UTC))
    return grouping.compute(data, version).hash


def test_every_registered_version_is_pinned():
    assert set(grouping.VERSIONS) == set(PINNED) == set(CORPUS_PINNED)
    assert grouping.GROUPING_VERSION in grouping.VERSIONS


def test_every_parseable_fixture_is_pinned():
    unpinned = {p.name for p in fixture_payloads() if not p.broken} - set(
        PINNED[grouping.GROUPING_VERSION]
    )
    assert not unpinned, f"pin these with the current version: {sorted(unpinned)}"


@pytest.mark.parametrize(
    ("version", "name", "expected"),
    [(v, n, h) for v, pins in PINNED.items() for n, h in pins.items()],
)
def test_version_output_is_unchanged(version, name, expected):
    assert hash_of(FIXTURES / name, version) == expected


@pytest.mark.skipif(CORPUS is None, reason="shared corpus not present (the one test that says so)")
def test_the_shared_corpus_is_whole_and_its_grouping_unchanged():
    assert len(corpus_payloads()) > 100
    assert any(p.broken for p in corpus_payloads()), "KNOWN-BROKEN lists its invalid payloads"
    changed = [
        f"{version} {name}: {hash_of(CORPUS / name, version)} != {expected}"
        for version, pins in CORPUS_PINNED.items()
        for name, expected in pins.items()
        if hash_of(CORPUS / name, version) != expected
    ]
    assert not changed, changed


def test_frames_v2_strips_content_hashes_from_javascript_module_names():
    def event(module: str) -> dict:
        frame = {"module": module, "function": "render", "in_app": True}
        return {"platform": "node", "exception": {"values": [
            {"type": "TypeError", "value": "x is undefined", "stacktrace": {"frames": [frame]}}
        ]}}  # fmt: skip

    first, rebuilt = event("dist/main.3f2a1b9c"), event("dist/main.9c8d7e01")
    assert grouping.compute(first, "frames-v2").hash == grouping.compute(rebuilt, "frames-v2").hash
    assert grouping.compute(first, "frames-v1").hash != grouping.compute(rebuilt, "frames-v1").hash
    python = {**first, "platform": "python"}  # Python modules are names, not built files
    assert grouping.compute(python, "frames-v2").hash == grouping.compute(python, "frames-v1").hash
