"""The one table of issue sort orders, under both the UI's and Sentry's names."""

import pytest

from issues import sorting


@pytest.mark.parametrize(
    "sentry_name, ui_name, newest_first_by",
    [
        ("date", "last_seen", "-last_seen"),
        ("new", "first_seen", "-first_seen"),
        ("freq", "events", "-event_count"),
        ("user", "users", "-user_count"),
    ],
)
def test_each_order_answers_to_its_sentry_and_its_ui_name(sentry_name, ui_name, newest_first_by):
    order = sorting.find(sentry_name)
    assert order is sorting.find(ui_name)
    assert order.order_by == (newest_first_by, "-id")


def test_the_default_is_most_recently_seen_first():
    assert sorting.DEFAULT is sorting.find("date")


@pytest.mark.parametrize("name", ["random", "", "priority", "users_count", "-last_seen"])
def test_an_unknown_name_finds_nothing(name):
    assert sorting.find(name) is None
