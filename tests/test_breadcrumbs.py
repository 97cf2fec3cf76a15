"""Breadcrumbs as the issue page shows them: one line per crumb, timed relative to the event."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from events.breadcrumbs import MAX_BREADCRUMBS, MAX_DATA_ROWS, RECENT, present, relative
from events.presenters import when
from tests.issue_factories import make_event, make_issue
from tests.payloads import fixture

EVENT_TIME = datetime(2026, 12, 1, 9, 54, 0, tzinfo=UTC)


def one(crumb, event_time: datetime | None = EVENT_TIME):
    shown = present({"breadcrumbs": [crumb]}, event_time)
    assert shown.total == 1
    return shown.recent[0]


def of_fixture(name: str):
    payload = fixture(name)
    return present(payload, when(payload["timestamp"])).recent


# --- real SDK payloads -------------------------------------------------------------------


def test_browser_sdk_crumbs_show_console_fetch_and_navigation_as_sentry_does():
    console, warning, fetch, navigation = of_fixture("browser/message-breadcrumbs.json")
    assert (console.kind, console.category, console.level_class) == ("console", "console", "info")
    assert console.summary == "cart restored with 3 items"
    assert (warning.level, warning.level_class) == ("warning", "warning")
    assert (fetch.kind, fetch.summary, fetch.status, fetch.status_class) == (
        "http", "GET /api/cart/42", "404", "bad",
    )  # fmt: skip
    assert fetch.data == [("__span", "92f748b506d68469")]  # the rest is in the summary
    assert navigation.kind == "navigation"
    assert navigation.summary == "/checkout?case=message-breadcrumbs → /checkout/shipping"
    assert navigation.data == []
    # epoch floats, relative to the event's 1796118868.569
    assert [c.offset for c in (console, warning, fetch)] == ["-0.1s", "-0.0s", "-0.0s"]
    assert console.absolute == "2026-12-01 09:54:28.506 UTC"


def test_python_sdk_crumbs_with_iso_timestamps():
    auth, http = of_fixture("python/chained-cause.json")
    assert (auth.kind, auth.category, auth.summary) == ("default", "auth", "signed in as jane")
    assert http.kind == "http" and http.category == "httplib"
    assert http.summary == "POST https://gateway.example.net/v2/charge"
    assert (http.status, http.status_class) == ("502", "bad")
    assert http.offset == "-0.0s" and http.absolute == "2026-12-01 09:54:00.503 UTC"


def test_odd_crumbs_of_the_edge_fixture_are_shown_or_skipped_never_fatal():
    crumbs = of_fixture("edge/breadcrumbs-list.json")
    assert len(crumbs) == 6  # the string and the null are not crumbs
    click, xhr, nav, odd, far, untimed = crumbs
    assert (click.kind, click.summary, click.offset) == ("ui", "button#buy", "-9.8s")
    assert (xhr.summary, xhr.status, xhr.offset) == ("POST /api/cart", "500", "-4d 23h")
    assert nav.summary == "/cart → /error"
    assert nav.absolute == "2026-11-20 10:21:11.000 UTC"  # naive ISO is UTC
    assert (odd.level, odd.level_class, odd.offset, odd.absolute) == ("critical", "fatal", "", "")
    assert odd.data == [("k", "v")]
    assert far.offset == "" and untimed.summary == "no timestamp at all"


# --- each branch, by hand ----------------------------------------------------------------


@pytest.mark.parametrize("category", ["fetch", "xhr", "http"])
def test_http_categories_read_method_url_and_status(category):
    crumb = one({"category": category, "data": {"method": "PUT", "url": "/a", "status_code": 201}})
    assert (crumb.kind, crumb.summary, crumb.status, crumb.status_class) == (
        "http", "PUT /a", "201", "ok",
    )  # fmt: skip


@pytest.mark.parametrize(
    "code,shown,cls",
    [("404", "404", "bad"), (302, "302", "redirect"), ("teapot", "teapot", ""), (True, "", "")],
)
def test_a_status_code_may_be_a_string_or_junk(code, shown, cls):
    crumb = one({"type": "http", "data": {"url": "/x", "status_code": code}})
    assert (crumb.status, crumb.status_class) == (shown, cls)


def test_an_http_crumb_without_url_or_method_falls_back_to_its_message():
    crumb = one({"type": "http", "message": "request sent", "data": {"status_code": 500}})
    assert crumb.summary == "request sent" and crumb.status == ""
    assert crumb.data == [("status_code", "500")]


def test_navigation_by_type_or_category():
    assert one({"type": "navigation", "data": {"from": "/a", "to": "/b"}}).summary == "/a → /b"
    assert one({"category": "navigation", "data": {"to": "/b"}}).summary == " → /b"


def test_console_crumbs_keep_their_level():
    crumb = one({"category": "console", "level": "error", "message": "boom"})
    assert (crumb.kind, crumb.level, crumb.level_class, crumb.summary) == (
        "console", "error", "error", "boom",
    )  # fmt: skip


def test_other_crumbs_show_the_message_else_compact_data():
    with_message = one({"category": "auth", "message": "hi", "data": {"user": 7}})
    assert with_message.summary == "hi" and with_message.data == [("user", "7")]
    without = one({"category": "cart", "data": {"items": 3, "coupon": None, "ids": [1, 2]}})
    assert without.summary == "items=3 coupon= ids=[1,2]" and without.data == []
    assert one({"category": "empty"}).summary == ""


@pytest.mark.parametrize(
    "crumb,kind",
    [
        ({"category": "ui.click"}, "ui"),
        ({"type": "user"}, "ui"),
        ({"type": "query"}, "query"),
        ({"category": "sql"}, "query"),
        ({"type": "error"}, "error"),
        ({"level": "fatal"}, "error"),
        ({"type": "debug"}, "default"),
    ],
)
def test_the_icon_follows_type_category_and_level(crumb, kind):
    assert one(crumb).kind == kind


def test_unknown_levels_are_shown_as_sent_and_styled_as_info():
    crumb = one({"level": "LOUD", "message": "m"})
    assert (crumb.level, crumb.level_class) == ("LOUD", "info")
    assert one({"level": "warn"}).level_class == "warning"
    assert one({}).level == "info"


@pytest.mark.parametrize(
    "data", ["a string", 42, ["list", "of", "things"], None, [["k", "v"]], {"nested": {"a": 1}}]
)
def test_data_that_is_not_a_dict_is_shown_as_text(data):
    crumb = one({"type": "http", "category": "fetch", "data": data})
    assert isinstance(crumb.summary, str) and crumb.status == ""


def test_data_rows_are_bounded():
    crumb = one({"message": "m", "data": {f"k{i}": i for i in range(5000)}})
    assert len(crumb.data) == MAX_DATA_ROWS
    long = one({"data": {"k": "v" * 100_000}})
    assert len(long.summary) < 2000


@pytest.mark.parametrize(
    "seconds,shown",
    [
        (-2.34, "-2.3s"),
        (-65, "-1m 05s"),
        (-59.97, "-1m 00s"),
        (-3723, "-1h 02m"),
        (-2 * 86400 - 4 * 3600, "-2d 04h"),
        (0.5, "+0.5s"),
        (0, "0.0s"),
    ],
)
def test_times_are_relative_to_the_event(seconds, shown):
    assert relative(EVENT_TIME + timedelta(seconds=seconds), EVENT_TIME) == shown


def test_without_an_event_time_the_clock_time_is_shown():
    crumb = one({"timestamp": "2026-12-01T09:53:58Z"}, event_time=None)
    assert crumb.offset == "09:53:58"


@pytest.mark.parametrize(
    "timestamp", ["not a time", 1e20, -1e20, True, {"t": 1}, "2026-13-45", 10**400]
)
def test_bad_timestamps_leave_the_time_empty(timestamp):
    crumb = one({"timestamp": timestamp, "message": "m"})
    assert (crumb.offset, crumb.absolute) == ("", "")


@pytest.mark.parametrize(
    "payload",
    [None, "x", {"breadcrumbs": "x"}, {"breadcrumbs": {"values": 5}}, {"breadcrumbs": [1, None]}],
)
def test_payloads_without_usable_crumbs_give_none(payload):
    shown = present(payload, EVENT_TIME)
    assert shown.total == 0 and shown.omitted == 0


def test_the_last_ten_are_open_and_the_earlier_ones_collapsed():
    crumbs = [{"message": f"m{i}", "timestamp": 1000.0 + i} for i in range(25)]
    shown = present({"breadcrumbs": {"values": crumbs}}, datetime.fromtimestamp(1030, UTC))
    assert [c.summary for c in shown.recent] == [f"m{i}" for i in range(15, 25)]
    assert len(shown.earlier) == 15 and shown.earlier[0].summary == "m0"
    assert shown.recent[-1].offset == "-6.0s"
    few = present({"breadcrumbs": crumbs[:RECENT]}, None)
    assert few.earlier == [] and len(few.recent) == RECENT


def test_a_huge_list_keeps_only_the_newest_and_says_how_many_were_left_out():
    crumbs = [{"message": str(i), "data": {"k": i}} for i in range(200_000)]
    started = time.perf_counter()
    shown = present({"breadcrumbs": crumbs}, EVENT_TIME)
    assert time.perf_counter() - started < 1
    assert shown.total == MAX_BREADCRUMBS and shown.omitted == 200_000 - MAX_BREADCRUMBS
    assert shown.recent[-1].summary == "199999"


# --- on the page -------------------------------------------------------------------------

HOSTILE = {
    "message": "hostile crumbs",
    "breadcrumbs": {
        "values": [
            *[{"category": "console", "message": f"line {i}"} for i in range(300)],
            "not a crumb",
            None,
            7,
            {"type": "http", "data": "not a dict"},
            {"type": "http", "data": {"url": ["a"], "method": {"x": 1}, "status_code": "50x"}},
            {"category": {"not": "text"}, "level": 3, "message": ["list"], "timestamp": "2026"},
            {"type": "navigation", "data": {"from": None, "to": 12}},
            {"timestamp": float("1e300"), "data": [1, 2, 3]},
        ]
    },
}


@pytest.mark.django_db
def test_hostile_crumbs_render_and_collapse_on_the_issue_page(client, owner, project):
    issue = make_issue(project)
    make_event(issue, HOSTILE)
    client.force_login(owner)
    response = client.get(reverse("issues:detail", args=[project.slug, issue.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    section = body[body.index('id="breadcrumbs"') :]
    assert f"{308 - MAX_BREADCRUMBS} older breadcrumbs not shown" in section
    # The newest 200 entries hold 3 that are not crumbs.
    assert f"Show {MAX_BREADCRUMBS - 3 - RECENT} earlier breadcrumbs" in section
    recent = section[section.index('class="crumb-list crumbs-recent"') :]
    assert recent.count('<li class="crumb ') == RECENT and "line 299" in recent
    assert "[50x]" in recent and '<span class="crumb-msg"> → 12</span>' in recent


@pytest.mark.django_db
def test_breadcrumbs_and_why_grouped_cost_the_issue_page_no_query(client, owner, project):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.test_why_grouped import components

    plain = make_issue(project, grouping_components=[])
    make_event(plain, {"message": "no crumbs"})
    rich = make_issue(project, grouping_components=components("python/chained-cause.json"))
    make_event(rich, HOSTILE)
    client.force_login(owner)
    counts = []
    for issue in (plain, plain, rich):  # the first request warms the session up
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("issues:detail", args=[project.slug, issue.pk]))
            assert response.status_code == 200
        counts.append(len(queries))
    assert counts[1] == counts[2]
