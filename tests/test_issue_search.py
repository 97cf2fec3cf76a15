"""The one issue search: what a query parses into, what it refuses, and what it finds."""

from datetime import timedelta

import pytest
from django.utils import timezone

from issues import search
from issues.models import Issue, IssueStatus
from issues.search import Filter, Search, SearchError, parse
from issues.tags import search_term
from projects.services import create_project
from tests.issue_factories import make_issue, make_tag

# --- free text ------------------------------------------------------------------------------


def test_words_and_quoted_phrases_are_free_text():
    assert parse('KeyError "in checkout" user') == Search(text=("KeyError", "in checkout", "user"))


def test_an_escaped_quote_stays_inside_a_phrase():
    assert parse(r'"say \"hi\""').text == ('say "hi"',)


def test_an_unbalanced_quote_is_just_a_character_of_a_word():
    assert parse('"card').text == ('"card',)


def test_empty_phrases_are_dropped():
    assert parse('"" "  " x') == Search(text=("x",))


def test_a_key_without_a_value_is_a_word():
    assert parse("level:") == Search(text=("level:",))


def test_a_negated_word_is_searched_as_written():
    assert parse("!boom").text == ("!boom",)


# --- is: -------------------------------------------------------------------------------------


def test_no_is_term_leaves_the_status_open():
    assert parse("boom").statuses is None


@pytest.mark.parametrize(
    "query, statuses",
    [
        ("is:unresolved", {IssueStatus.UNRESOLVED}),
        ("is:resolved", {IssueStatus.RESOLVED, IssueStatus.RESOLVED_NEXT_RELEASE}),
        ("is:ignored", {IssueStatus.IGNORED}),
        ("is:archived", {IssueStatus.IGNORED}),
        ("is:muted", {IssueStatus.IGNORED}),
        ("is:all", set(IssueStatus.values)),
        ("IS:Unresolved", {IssueStatus.UNRESOLVED}),
    ],
)
def test_each_is_value_selects_its_statuses(query, statuses):
    assert parse(query).statuses == statuses


def test_several_is_terms_select_any_of_them():
    assert parse("is:unresolved is:ignored").statuses == {
        IssueStatus.UNRESOLVED,
        IssueStatus.IGNORED,
    }


def test_a_negated_is_term_selects_every_other_status():
    assert parse("!is:resolved").statuses == {IssueStatus.UNRESOLVED, IssueStatus.IGNORED}


def test_negated_is_terms_take_away_from_the_others():
    assert parse("is:all !is:ignored !is:unresolved").statuses == {
        IssueStatus.RESOLVED,
        IssueStatus.RESOLVED_NEXT_RELEASE,
    }


def test_an_unknown_is_value_is_an_error_naming_it():
    with pytest.raises(SearchError, match="is:sleeping"):
        parse("is:sleeping")


# --- keys ------------------------------------------------------------------------------------


def test_issue_keys_become_filters():
    assert parse("level:error environment:prod release:1.0").filters == (
        Filter("level", "error"),
        Filter("environment", "prod"),
        Filter("release", "1.0"),
    )


def test_a_level_is_matched_in_lower_case_and_so_is_its_key():
    assert parse("LEVEL:Warning").filters == (Filter("level", "warning"),)


def test_an_unknown_level_is_an_error_naming_it():
    with pytest.raises(SearchError, match="catastrophic"):
        parse("level:catastrophic")


def test_any_other_key_is_a_tag_filter_with_its_case_kept():
    assert parse("Browser:Firefox server_name:web-1").filters == (
        Filter("Browser", "Firefox"),
        Filter("server_name", "web-1"),
    )


def test_a_quoted_value_may_hold_spaces_and_escaped_quotes():
    assert parse(r'browser:"Chrome 120" title:"a \"b\""').filters == (
        Filter("browser", "Chrome 120"),
        Filter("title", 'a "b"'),
    )


def test_a_value_splits_at_the_first_colon_only():
    assert parse("url:http://x").filters == (Filter("url", "http://x"),)


@pytest.mark.parametrize("key", ["level", "environment", "release", "browser"])
def test_every_key_can_be_negated(key):
    value = "error" if key == "level" else "x"
    assert parse(f"!{key}:{value}").filters == (Filter(key, value, negated=True),)


@pytest.mark.parametrize("query", ["subscribed:me", "has:user", "!issue.priority:high"])
def test_sentry_keys_we_do_not_support_are_an_error_naming_the_key(query):
    with pytest.raises(SearchError, match=query.lstrip("!").split(":")[0]):
        parse(query)


# --- times_seen:, age:, lastSeen:, firstRelease:, user.email:, user.id: ---------------------


@pytest.mark.parametrize(
    "query, op, n",
    [
        ("times_seen:>5", ">", "5"),
        ("times_seen:>=5", ">=", "5"),
        ("times_seen:<5", "<", "5"),
        ("times_seen:<=5", "<=", "5"),
        ("times_seen:=5", "=", "5"),
        ("times_seen:5", "=", "5"),
        ("timesSeen:>007", ">", "7"),  # Sentry's spelling
    ],
)
def test_times_seen_compares_the_event_count(query, op, n):
    assert parse(query).filters == (Filter(search.TIMES_SEEN, n, op=op),)


@pytest.mark.parametrize(
    "query, key, seconds, op",
    [
        ("age:-24h", search.FIRST_SEEN, 86400, "<"),
        ("age:+7d", search.FIRST_SEEN, 7 * 86400, ">"),
        ("firstSeen:-30m", search.FIRST_SEEN, 1800, "<"),
        ("lastSeen:-1h", search.LAST_SEEN, 3600, "<"),
        ("lastseen:+2w", search.LAST_SEEN, 2 * 604800, ">"),
    ],
)
def test_age_and_last_seen_are_relative_times(query, key, seconds, op):
    assert parse(query).filters == (Filter(key, str(seconds), op=op),)


def test_first_release_and_the_users_keys_keep_their_value():
    assert parse('firstRelease:"web 1.0" user.email:a@b.c user.id:42').filters == (
        Filter(search.FIRST_RELEASE, "web 1.0"),
        Filter(search.USER_EMAIL, "a@b.c"),
        Filter(search.USER_ID, "42"),
    )


@pytest.mark.parametrize(
    "query, message",
    [
        ("times_seen:>abc", "times_seen: needs a whole number.*'>abc'"),
        ("times_seen:>>5", "'>>5'"),
        ("times_seen:-1", "'-1'"),
        ("timesSeen:1e3", "timesSeen: needs a whole number"),
        ("times_seen:" + "9" * 19, "whole number"),
        ("age:-24x", r"age: needs - .*\(m, h, d or w\).*'-24x'"),
        ("age:24h", "'24h'"),
        ("lastSeen:-h", "lastSeen: needs"),
        ("age:-999999w", "100 years at most"),
        ("level:bogus", "Unknown level 'bogus'"),
        ("is:bogus", "Unknown status is:bogus"),
        ("bookmarks:bob", "Only bookmarks:me"),
    ],
)
def test_a_bad_value_is_an_error_that_says_what_was_wrong(query, message):
    with pytest.raises(SearchError, match=message):
        parse(query)


@pytest.mark.parametrize(
    "query",
    ["!times_seen:>5", "!age:-24h", "!lastSeen:+1d", "!firstRelease:1.0", "!user.email:x",
     "!user.id:1", "!assigned:bob", "!is:assigned", "!level:error", "!browser:x"],
)  # fmt: skip
def test_every_new_key_can_be_negated_too(query):
    (term,) = parse(query).filters
    assert term.negated and not parse(query[1:]).filters[0].negated


@pytest.mark.parametrize("key", ["age", "times_seen", "assigned", "firstRelease", "has"])
def test_tag_values_are_not_linked_through_a_key_that_means_something_else(key):
    assert search_term(key, "x") == ""
    assert search_term("user.email", "a@b") == 'user.email:"a@b"'


# --- limits ----------------------------------------------------------------------------------


def test_a_query_over_1000_characters_is_an_error():
    parse("x" * 1000)
    with pytest.raises(SearchError, match="too long"):
        parse("x" * 1001)


def test_a_query_over_20_terms_is_an_error():
    parse(" ".join(f"w{n}" for n in range(20)))
    with pytest.raises(SearchError, match="too many terms"):
        parse(" ".join(f"w{n}" for n in range(21)))


# --- what the filters find -------------------------------------------------------------------


def found(query: str) -> list[str]:
    return sorted(search.apply(Issue.objects.all(), parse(query)).values_list("title", flat=True))


@pytest.fixture
def issues(project):
    warn = make_issue(project, title="warn", level="warning", environments=["prod"])
    make_tag(warn, "browser", "Firefox")
    make_issue(project, title="err", level="error", first_release="2.0")
    tagged = make_issue(project, title="tagged", status=IssueStatus.RESOLVED)
    make_tag(tagged, "environment", "prod")
    make_tag(tagged, "release", "3.0")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, titles",
    [
        ("level:warning", ["warn"]),
        ("!level:warning", ["err", "tagged"]),
        ("environment:prod", ["tagged", "warn"]),
        ("!environment:prod", ["err"]),
        ("release:2.0", ["err"]),
        ("release:3.0", ["tagged"]),
        ("!release:2.0", ["tagged", "warn"]),
        ("browser:Firefox", ["warn"]),
        ("!browser:Firefox", ["err", "tagged"]),
        ("is:resolved", ["tagged"]),
        ("!is:resolved", ["err", "warn"]),
        ("is:all", ["err", "tagged", "warn"]),
        ("!is:resolved !level:warning", ["err"]),
    ],
)
def test_each_filter_and_its_negation_find_complementary_issues(issues, query, titles):
    assert found(query) == titles


@pytest.mark.django_db
def test_environment_matches_whole_names_only(project):
    make_issue(project, title="a", environments=["production"])
    make_issue(project, title="b", environments=['"prod"'])
    assert found("environment:prod") == []
    assert found("environment:production") == ["a"]


@pytest.mark.django_db
def test_free_text_searches_title_culprit_and_message(project):
    make_issue(project, title="KeyError", culprit="shop.cart in add", message="no user")
    make_issue(project, title="Other")
    assert found("keyerror") == found("CART") == found('"no user"') == ["KeyError"]
    assert found("keyerror other") == []


@pytest.mark.django_db
def test_a_short_id_finds_that_issue_of_that_project_only(project, owner):
    other = create_project("Frontend", admins=[owner])
    mine = make_issue(project, title="mine", short_id=7)
    make_issue(other, title="theirs", short_id=7)
    assert found(f"{project.slug}-7") == found(f"{mine.short_code}") == ["mine"]
    assert found("frontend-7") == ["theirs"]


@pytest.mark.django_db
def test_search_strings_are_data_not_sql(project):
    make_issue(project, title="x", culprit="c", environments=["prod"])
    for query in ["' OR 1=1 --", "%", "_", "environment:%", 'release:"1\' OR \'1"="1"']:
        assert found(query) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, titles",
    [
        ("times_seen:>5", ["hundred", "six"]),
        ("times_seen:>=6", ["hundred", "six"]),
        ("times_seen:<6", ["one"]),
        ("times_seen:<=6", ["one", "six"]),
        ("times_seen:6", ["six"]),
        ("!times_seen:>5", ["one"]),
        ("age:-24h", ["one"]),
        ("!age:-24h", ["hundred", "six"]),
        ("age:+7d", ["hundred"]),
        ("age:+2d age:-9d", ["six"]),
        ("lastSeen:-1h", ["one", "six"]),
        ("lastSeen:+1h", ["hundred"]),
        ("!lastSeen:-1h", ["hundred"]),
        ("firstRelease:1.0", ["hundred"]),
        ("!firstRelease:1.0", ["one", "six"]),
    ],
)
def test_counts_and_times_find_the_issues_on_either_side(project, query, titles):
    now = timezone.now()
    make_issue(project, title="one", event_count=1, first_seen=now - timedelta(hours=2),
               last_seen=now)  # fmt: skip
    make_issue(project, title="six", event_count=6, first_seen=now - timedelta(days=3),
               last_seen=now - timedelta(minutes=59))  # fmt: skip
    make_issue(project, title="hundred", event_count=100, first_seen=now - timedelta(days=10),
               last_seen=now - timedelta(hours=2), first_release="1.0")  # fmt: skip
    got = search.apply(Issue.objects.all(), parse(query), now=now)
    assert sorted(got.values_list("title", flat=True)) == titles


@pytest.mark.django_db
def test_age_counts_back_from_the_given_now(project):
    then = timezone.now() - timedelta(days=30)
    make_issue(project, title="old", first_seen=then, last_seen=then)
    assert found("age:-1d") == []
    got = search.apply(Issue.objects.all(), parse("age:-1d"), now=then + timedelta(hours=1))
    assert list(got.values_list("title", flat=True)) == ["old"]


@pytest.mark.django_db
def test_user_email_finds_the_email_tag_or_a_user_tag_that_is_the_email(project):
    with_id = make_issue(project, title="with id")
    make_tag(with_id, "user", "42")
    make_tag(with_id, "user.email", "ann@example.com")  # the digest adds it beside an id
    no_id = make_issue(project, title="no id")
    make_tag(no_id, "user", "bob@example.com")  # an id-less user's tag is the email
    make_issue(project, title="nobody")
    assert found("user.email:ann@example.com") == ["with id"]
    assert found("user.email:bob@example.com") == ["no id"]
    assert found("!user.email:ann@example.com") == ["no id", "nobody"]
    assert found("user.email:42") == ["with id"]  # documented: a user tag that reads the same


@pytest.mark.django_db
def test_user_id_finds_the_user_tag_which_is_the_id_when_there_is_one(project):
    issue = make_issue(project, title="with id")
    make_tag(issue, "user", "42")
    make_tag(issue, "user.email", "ann@example.com")
    make_issue(project, title="other")
    assert found("user.id:42") == ["with id"]
    assert found("!user.id:42") == ["other"]
    assert found("user.id:ann@example.com") == []
