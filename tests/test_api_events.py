"""Events over the API: an issue's events, its latest event, and one event by id."""

import copy
import json
import uuid
from datetime import timedelta

import orjson
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.serializers import event_json
from projects.services import create_project
from tests.api_factories import auth, token_for
from tests.issue_factories import PYTHON_EVENT, make_event, make_issue
from tests.payloads import all_payloads, fixture, fixture_payloads

pytestmark = pytest.mark.django_db


def get(client, user, url, **params):
    return client.get(url, params, headers=auth(token_for(user)))


def event_url(event_id: str, org: str = "bugtrack", slug: str = "backend") -> str:
    return f"/api/0/projects/{org}/{slug}/events/{event_id}/"


# --- one event by id ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "member"])
def test_members_get_an_event_carrying_its_group_id(client, project, request, who):
    issue = make_issue(project)
    event = make_event(issue)
    response = get(client, request.getfixturevalue(who), event_url(event.event_id))
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == data["eventID"] == event.event_id
    assert data["groupID"] == str(issue.pk)
    assert data["projectID"] == str(project.pk)


def test_an_event_is_found_by_its_dashed_or_uppercase_id(client, project, owner):
    event = make_event(make_issue(project))
    dashed = str(uuid.UUID(event.event_id))
    assert get(client, owner, event_url(dashed)).json()["eventID"] == event.event_id
    upper = event.event_id.upper()
    assert get(client, owner, event_url(upper)).json()["eventID"] == event.event_id


def test_an_outsider_gets_404_for_an_event(client, project, outsider):
    event = make_event(make_issue(project))
    assert get(client, outsider, event_url(event.event_id)).status_code == 404


def test_another_projects_event_id_gets_404_even_through_my_project(client, project, owner):
    theirs = create_project("Theirs")
    event = make_event(make_issue(theirs, title="secret"))
    response = get(client, owner, event_url(event.event_id))
    assert response.status_code == 404
    assert b"secret" not in response.content
    assert get(client, owner, event_url(event.event_id, slug="theirs")).status_code == 404


@pytest.mark.parametrize(
    "event_id", ["nothex", "0" * 31, "0" * 33, "g" * 32, "0" * 32, "0" * 32 + "----"]
)
def test_a_malformed_or_unknown_event_id_gets_404(client, project, owner, event_id):
    make_event(make_issue(project))
    assert get(client, owner, event_url(event_id)).status_code == 404


def test_a_wrong_organization_gets_404_for_an_event(client, project, owner):
    event = make_event(make_issue(project))
    assert get(client, owner, event_url(event.event_id, org="acme")).status_code == 404


def test_an_event_carries_sentrys_fields(client, project, owner):
    issue = make_issue(project)
    event = make_event(issue, tags={"browser": "Firefox 120", "server_name": "ignored"})
    data = get(client, owner, event_url(event.event_id)).json()
    assert data["title"].startswith("HTTPError: 429 Client Error: Too Many Requests")
    assert data["message"] == "send_notification.process_error"
    assert data["platform"] == "python"
    assert data["dateCreated"].endswith("Z") and data["dateReceived"].endswith("Z")
    assert data["release"]["version"] == PYTHON_EVENT["release"]
    assert data["environment"] == "prod"
    assert data["fingerprints"] == [issue.grouping_hash]
    assert data["user"]["email"] == "ada@example.com"
    assert data["sdk"] == {"name": "sentry.python.django", "version": "2.19.0"}
    assert data["contexts"]["runtime"]["name"] == "CPython"
    assert data["packages"]["django"] == "5.2"
    tags = {t["key"]: t["value"] for t in data["tags"]}
    assert tags["server_name"] == "web-1"  # the event's own tag wins over the stored copy
    assert tags["browser"] == "Firefox 120"
    assert tags["level"] == "error" and tags["environment"] == "prod"
    assert [t["key"] for t in data["tags"]] == sorted(tags)


def test_event_entries_follow_sentrys_shapes(client, project, owner):
    event = make_event(make_issue(project))
    data = get(client, owner, event_url(event.event_id)).json()
    entries = {e["type"]: e["data"] for e in data["entries"]}
    assert set(entries) == {"message", "exception", "breadcrumbs", "request"}

    [exc] = entries["exception"]["values"]
    assert (exc["type"], exc["module"]) == ("HTTPError", "requests.exceptions")
    assert exc["mechanism"] == {"type": "logging", "handled": True}
    frames = exc["stacktrace"]["frames"]
    assert [f["function"] for f in frames] == [
        "safe_execute",
        "send_notification",
        "raise_for_status",
    ]  # oldest first, as Sentry
    first = frames[0]
    assert first["lineNo"] == 29 and first["inApp"] is True
    assert first["absPath"].endswith("sentry/utils/safe.py")
    assert first["context"][0] == [26, "    try:"]
    assert first["context"][3] == [29, "                result = func(*args, **kwargs)"]
    assert first["context"][4] == [30, "        else:"]
    assert first["vars"]["kwargs"] == {}
    assert exc["stacktrace"]["hasSystemFrames"] is True

    assert entries["message"]["formatted"] == "send_notification.process_error"
    assert entries["message"]["params"] == ["send_notification"]
    crumbs = entries["breadcrumbs"]["values"]
    assert crumbs[0]["timestamp"].startswith("2024-09-17T07:34:04.5")
    assert crumbs[1]["type"] == "http" and crumbs[1]["data"] == {"status_code": 429}
    request = entries["request"]
    assert request["method"] == "POST"
    assert request["query"] == [["retry", "1"], ["verbose", ""]]
    assert ["User-Agent", "curl/8.5.0"] in request["headers"]
    assert request["cookies"] == [["sessionid", "abc"], ["theme", "dark"]]


def test_threads_and_chained_exceptions_become_entries(client, project, owner):
    payload = copy.deepcopy(PYTHON_EVENT)
    cause = {"type": "ConnectionError", "value": "reset", "stacktrace": {"frames": None}}
    payload["exception"]["values"].insert(0, cause)
    payload["threads"] = {
        "values": [{"id": 1, "name": "main", "crashed": True, "stacktrace": {"frames": []}}]
    }
    event = make_event(make_issue(project), payload=payload)
    data = get(client, owner, event_url(event.event_id)).json()
    entries = {e["type"]: e["data"] for e in data["entries"]}
    assert [v["type"] for v in entries["exception"]["values"]] == ["ConnectionError", "HTTPError"]
    assert entries["exception"]["values"][0]["stacktrace"]["frames"] == []
    assert entries["threads"]["values"][0]["crashed"] is True
    assert data["title"].startswith("HTTPError")  # the last exception of a chain names it


def test_a_message_event_is_titled_by_its_message(client, project, owner):
    payload = {"message": "disk 93% full\nsecond line", "level": "warning", "platform": "other"}
    event = make_event(make_issue(project, title="disk 93% full"), payload=payload)
    data = get(client, owner, event_url(event.event_id)).json()
    assert data["title"] == "disk 93% full"
    assert data["type"] == "default"
    assert [e["type"] for e in data["entries"]] == ["message"]


def test_an_unreadable_payload_still_answers_with_an_error_entry(client, project, owner):
    issue = make_issue(project, title="kept raw")
    event = make_event(issue, processing_error="exception was a number")
    type(event).objects.filter(pk=event.pk).update(payload=b"{not zstd}")
    data = get(client, owner, event_url(event.event_id)).json()
    assert data["title"] == "kept raw"
    assert data["entries"] == []
    assert [e["type"] for e in data["errors"]] == ["processing_error", "unreadable_payload"]


def test_every_payload_serializes_even_unnormalized(project):
    """Raw SDK payloads are odder than normalized ones: the serializer must take them all."""
    issue = make_issue(project)
    count = 0
    for p in all_payloads():
        body = p.queued()
        if body is None:
            continue  # ingest refuses it, so it is never stored
        payload = orjson.loads(body)
        event = make_event(issue, payload=payload)
        data = event_json(event, issue)
        json.dumps(data)
        assert data["title"], p
        count += 1
    assert count >= len(fixture_payloads()) - 4  # ingest refuses 4 of the KNOWN-BROKEN


@pytest.mark.parametrize(
    ("name", "types"),
    [
        ("python/wsgi-request.json", ["exception", "request"]),
        ("python/chained-cause.json", ["exception", "breadcrumbs"]),
        ("python/log-message-params.json", ["message", "breadcrumbs"]),
        ("python/message-with-stacktrace.json", ["message", "threads", "breadcrumbs"]),
        ("cocoa/swift-bad-access.json", ["exception", "threads", "breadcrumbs"]),
        ("edge/top-level-stacktrace.json", ["message", "stacktrace", "request"]),
        ("edge/logentry-string.json", ["message", "exception"]),
        ("edge/empty-object.json", []),
    ],
)
def test_each_payload_becomes_the_entries_it_carries(project, name, types):
    event = make_event(make_issue(project), payload=fixture(name))
    data = event_json(event, event.issue)
    assert [e["type"] for e in data["entries"]] == types


def test_sdk_shapes_become_sentrys_entry_shapes(project):
    issue = make_issue(project)

    def entries(name: str) -> dict:
        data = event_json(make_event(issue, payload=fixture(name)), issue)
        return {e["type"]: e["data"] for e in data["entries"]}

    request = entries("edge/headers-as-list.json")["request"]
    assert ["X-Forwarded-For", "198.51.100.4, 10.0.0.2"] in request["headers"]
    assert request["cookies"] == [["csrftoken", "x9Ac"], ["sessionid", "[Filtered]"]]
    assert request["query"] == [["format", "csv"], ["since", "2026-11-01"]]
    dotnet = entries("dotnet/aspnetcore-divide-by-zero.json")
    assert ["Accept", "application/json, text/plain"] in dotnet["request"]["headers"]
    assert dotnet["request"]["query"] == [["parts", "0"]]  # "?parts=0"
    assert [".AspNetCore.Session", "CfDJ8"] in dotnet["request"]["cookies"]
    go = entries("go/wrapped-error.json")  # the exception as a bare list
    assert [v["type"] for v in go["exception"]["values"]] == ["*net.OpError", "*fmt.wrapError"]
    native = entries("native/minidump-access-violation.json")["exception"]["values"][0]
    assert native["stacktrace"]["frames"][2]["instructionAddr"] == "0x7ff6a10214c2"
    assert native["stacktrace"]["registers"]["rip"] == "0x00007ffb1f2a3e7f"
    assert native["threadId"] == "7412"
    crumbs = entries("edge/breadcrumbs-list.json")["breadcrumbs"]["values"]
    assert [c["timestamp"] for c in crumbs[:3]] == [
        "2026-11-25T10:14:30.250000Z",
        "2026-11-20T10:21:10Z",
        "2026-11-20T10:21:11",
    ]
    assert crumbs[3]["data"] is None and crumbs[4]["timestamp"] is None
    frames = entries("edge/frames-missing-info.json")["exception"]["values"][0]
    assert frames["stacktrace"]["frames"][2]["lineNo"] == 12  # "12" from a lenient SDK
    logentry = entries("edge/logentry-params-dict.json")["message"]
    assert logentry["params"] == {"contact": "c-551", "account": "acme"}


# --- an issue's events ----------------------------------------------------------------------


def test_an_issues_events_come_newest_first_in_short_form(client, project, owner):
    issue = make_issue(project)
    now = timezone.now()
    old = make_event(issue, received_at=now - timedelta(minutes=5))
    new = make_event(issue, received_at=now)
    response = get(client, owner, f"/api/0/issues/{issue.pk}/events/")
    rows = response.json()
    assert [r["eventID"] for r in rows] == [new.event_id, old.event_id]
    assert rows[0]["groupID"] == str(issue.pk)
    assert "entries" not in rows[0]
    assert {"key": "level", "value": "error"} in rows[0]["tags"]
    full = get(client, owner, f"/api/0/issues/{issue.pk}/events/", full="true").json()
    assert full[0]["entries"]


def test_an_outsider_gets_404_for_an_issues_events(client, project, outsider):
    issue = make_issue(project)
    make_event(issue)
    assert get(client, outsider, f"/api/0/issues/{issue.pk}/events/").status_code == 404
    assert get(client, outsider, f"/api/0/issues/{issue.pk}/events/latest/").status_code == 404


def test_an_issues_events_page_with_a_link_header(client, project, owner):
    issue = make_issue(project)
    now = timezone.now()
    ids = [make_event(issue, received_at=now - timedelta(seconds=n)).event_id for n in range(5)]
    url = f"/api/0/issues/{issue.pk}/events/"
    seen, cursor = [], ""
    for _ in range(5):
        response = get(client, owner, url, limit="2", cursor=cursor)
        seen += [r["eventID"] for r in response.json()]
        link = response["Link"]
        if 'rel="next"; results="false"' in link:
            break
        cursor = link.split('rel="next"; results="true"; cursor="')[1].split('"')[0]
    assert seen == ids


def test_an_issues_events_cost_the_same_queries_for_1_or_20(client, project, owner):
    issue = make_issue(project)
    token = token_for(owner)
    url = f"/api/0/issues/{issue.pk}/events/?full=true"
    client.get(url, headers=auth(token))
    make_event(issue)
    with CaptureQueriesContext(connection) as one:
        client.get(url, headers=auth(token))
    for _ in range(19):
        make_event(issue)
    with CaptureQueriesContext(connection) as twenty:
        assert len(client.get(url, headers=auth(token)).json()) == 20
    assert len(twenty.captured_queries) == len(one.captured_queries)


def test_the_latest_event_is_the_newest_one_in_full(client, project, owner):
    issue = make_issue(project)
    now = timezone.now()
    make_event(issue, received_at=now - timedelta(minutes=1))
    newest = make_event(issue, received_at=now)
    data = get(client, owner, f"/api/0/issues/{issue.pk}/events/latest/").json()
    assert data["eventID"] == newest.event_id
    assert data["entries"]


def test_an_issue_without_events_has_no_latest_event(client, project, owner):
    issue = make_issue(project)
    assert get(client, owner, f"/api/0/issues/{issue.pk}/events/latest/").status_code == 404


def test_payload_strings_come_back_as_data(client, project, owner):
    payload = copy.deepcopy(PYTHON_EVENT)
    payload["exception"]["values"][0]["value"] = '<script>alert("x")</script>'
    event = make_event(make_issue(project), payload=payload)
    response = get(client, owner, event_url(event.event_id))
    assert response["Content-Type"] == "application/json"
    assert response.json()["metadata"]["value"] == '<script>alert("x")</script>'


# --- a project's events ---------------------------------------------------------------------


def test_a_projects_events_come_newest_first_across_issues(client, project, owner, outsider):
    now = timezone.now()
    first = make_event(make_issue(project), received_at=now - timedelta(minutes=2))
    second = make_event(make_issue(project), received_at=now)
    make_event(make_issue(create_project("Theirs", admins=[outsider])))
    rows = get(client, owner, "/api/0/projects/bugtrack/backend/events/").json()
    assert [(r["eventID"], r["groupID"]) for r in rows] == [
        (second.event_id, str(second.issue_id)),
        (first.event_id, str(first.issue_id)),
    ]


def test_an_outsider_gets_404_for_a_projects_events(client, project, outsider):
    make_event(make_issue(project))
    assert get(client, outsider, "/api/0/projects/bugtrack/backend/events/").status_code == 404
