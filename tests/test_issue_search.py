"""The one issue search: what a query parses into, what it refuses, and what it finds."""

import pytest

from issues import search
from issues.models import Issue, IssueStatus
from issues.search import Filter, Search, SearchError, parse
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


@pytest.mark.parametrize("query", ["subscribed:me", "has:user", "!firstSeen:-24h", "age:-1d"])
def test_sentry_keys_we_do_not_support_are_an_error_naming_the_key(query):
    with pytest.raises(SearchError, match=query.lstrip("!").split(":")[0]):
        parse(query)


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
