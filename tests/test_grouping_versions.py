"""Pins each grouping version's output: changing an algorithm must add a version, not edit one.

If a test here fails, you changed what an existing version computes. Restore it and add the
change as a new entry in `digest.grouping.VERSIONS` (with its own pins below) instead.
"""

from datetime import UTC, datetime

import pytest

from digest import grouping
from digest.normalize import normalize, parse
from tests.digest_factories import CORPUS

PINNED: dict[str, dict[str, str]] = {
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
}


def test_every_registered_version_is_pinned():
    assert set(grouping.VERSIONS) == set(PINNED)
    assert grouping.GROUPING_VERSION in grouping.VERSIONS


@pytest.mark.parametrize(
    ("version", "name", "expected"),
    [(v, n, h) for v, pins in PINNED.items() for n, h in pins.items()],
)
def test_version_output_is_unchanged(version, name, expected):
    data = normalize(
        parse((CORPUS / name).read_bytes()), "0" * 32, datetime(2025, 1, 1, tzinfo=UTC)
    )
    assert grouping.compute(data, version).hash == expected
