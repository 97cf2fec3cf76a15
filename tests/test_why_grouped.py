"""The "Why grouped" sentence names the rule that produced the hash, one case per rule."""

import pytest

from digest import grouping
from issues.why_grouped import ComponentRow, rows, sentence
from tests.test_grouping import components


@pytest.mark.parametrize(
    "name,said",
    [
        (  # exception type and the innermost in-app functions
            "python/chained-cause.json",
            "Grouped by the stack trace of PaymentError: … → parse_reply → chained_cause → charge",
        ),
        (  # a short stack is named whole
            "python/recursion.json",
            "Grouped by the stack trace of KeyError: recursion → find_category",
        ),
        (  # logentry params: the template
            "python/log-message-params.json",
            "Grouped by the message template “stock for %s is %d, below the %d ordered”",
        ),
        (  # plain messages: the parameterized text
            "python/message-with-stacktrace.json",
            "Grouped by the message “Disk usage at <int>% on /var/lib/postgresql”, "
            "its variable parts masked",
        ),
        (  # the SDK's fingerprint replaces the default grouping
            "python/custom-fingerprint.json",
            "Grouped by the fingerprint [payment-gateway, timeout]",
        ),
        (  # `{{ default }}` keeps it
            "python/default-fingerprint-extended.json",
            "Grouped by the fingerprint [tenant-eu-17] and the default grouping, the stack trace "
            "of PaymentError: … → parse_reply → default_fingerprint_extended → charge",
        ),
    ],
)
def test_each_rule_of_a_real_payload_is_said(name, said):
    assert sentence(components(name)) == said


def test_a_stack_trace_without_exception_has_no_type():
    said = sentence(components("browser/message-breadcrumbs.json"))
    assert said.startswith("Grouped by the stack trace: ") and " of " not in said


def test_an_exception_without_frames_is_grouped_by_type_and_message():
    def no_frames(data):
        for exc in data["exception"]["values"]:
            exc.pop("stacktrace", None)

    assert sentence(components("python/recursion.json", no_frames)) == (
        "Grouped by the exception KeyError and its message “'spades'”"
    )


def test_an_exception_with_only_a_type():
    comps = [{"kind": "type", "label": "exception 1 type", "value": "Boom", "contributes": True}]
    assert sentence(comps) == "Grouped by the exception type Boom"


def test_fingerprint_variables_show_their_values():
    def by_type(data):
        data["fingerprint"] = ["{{ type }}", "checkout"]

    assert sentence(components("python/recursion.json", by_type)) == (
        "Grouped by the fingerprint [KeyError, checkout]"
    )


def test_an_event_with_nothing_to_group_by():
    comps = grouping.compute({"platform": "python"}).components
    assert sentence(comps) == (
        "Grouped by nothing: the event had no exception, stack trace or message"
    )


def test_unprocessable_events():
    assert sentence(grouping.fallback("bad json").components) == (
        "Grouped by being unprocessable: such events share one issue per project"
    )


@pytest.mark.parametrize(
    "comps",
    [
        None,
        "frames",
        {"exception": [{"type": "PaymentError", "frames": ["shop:charge"]}]},  # an older shape
        [],
        [None, 1, "x"],
        [{"kind": "frame", "value": "a | b", "contributes": False}],
        [{"kind": "frame", "value": "a | b", "contributes": "yes"}],
    ],
)
def test_shapes_without_contributing_components_give_no_sentence(comps):
    assert sentence(comps) == ""


def test_odd_values_are_text_and_bounded():
    comps = [
        {"kind": "fingerprint", "value": 7, "contributes": True},
        {"kind": "fingerprint", "value": "x" * 5000, "contributes": True},
        {"kind": "mystery", "value": None, "contributes": True},
    ]
    said = sentence(comps)
    assert said.startswith("Grouped by the fingerprint [7, xxx") and len(said) < 300
    assert sentence([{"kind": "mystery", "contributes": True}]) == (
        "Grouped by its components (below)"
    )
    frame = {"kind": "frame", "value": "only.module | ", "contributes": True}
    assert sentence([frame]) == "Grouped by the stack trace: only.module"


def test_the_components_table_lists_every_component_with_why_it_counts_or_not():
    table = rows(components("python/chained-cause.json"))
    assert table is not None
    assert table[0] == ComponentRow("exception 1 type", "JSONDecodeError", True, "")
    assert ComponentRow(
        "exception 1, frame 3", "json | loads | return _default_decoder.decode(s)", False,
        "not in-app",
    ) in table  # fmt: skip


@pytest.mark.parametrize("comps", [None, "x", {"exception": []}, [], [1, None]])
def test_other_shapes_have_no_table_and_show_as_a_tree(comps):
    assert rows(comps) is None
