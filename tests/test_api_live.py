"""The API end to end: a token from createtoken, plain http.client, the real gunicorn."""

import http.client
import json
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from issues.models import IssueStatus
from tests.api_factories import fast_passwords, make_event, make_issue  # noqa: F401

pytestmark = [pytest.mark.live]


def request(base_url: str, method: str, path: str, token: str | None, body: dict | None = None):
    url = urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=20)
    headers = {"Accept": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read())
    finally:
        conn.close()


def test_a_script_lists_resolves_and_reads_events_with_a_real_token(
    transactional_db, live_server_url, project, owner, outsider, capsys
):
    issue = make_issue(project, title="HTTPError: 429 Client Error")
    event = make_event(issue)
    call_command("createtoken", "owner", "--label", "script")
    token = capsys.readouterr().out.strip().splitlines()[-1]

    status, headers, body = request(live_server_url, "GET", "/api/0/projects/", None)
    assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")

    list_path = "/api/0/projects/bugtrack/backend/issues/?query=is:unresolved&statsPeriod=24h"
    status, headers, body = request(live_server_url, "GET", list_path, token)
    assert status == 200
    assert [row["shortId"] for row in body] == [f"BACKEND-{issue.short_id}"]
    assert 'rel="next"; results="false"' in headers["Link"]

    path = f"/api/0/issues/{issue.pk}/"
    status, _, body = request(live_server_url, "PUT", path, token, {"status": "resolved"})
    assert (status, body["status"]) == (200, "resolved")
    issue.refresh_from_db()
    assert issue.status == IssueStatus.RESOLVED
    assert issue.history.get().user == owner

    status, _, body = request(live_server_url, "GET", f"{path}events/", token)
    assert [e["eventID"] for e in body] == [event.event_id]
    event_path = f"/api/0/projects/bugtrack/backend/events/{event.event_id}/"
    status, _, body = request(live_server_url, "GET", event_path, token)
    assert (status, body["groupID"]) == (200, str(issue.pk))

    call_command("createtoken", "outsider")
    outsider_token = capsys.readouterr().out.strip().splitlines()[-1]
    status, _, body = request(live_server_url, "GET", path, outsider_token)
    assert status == 404 and body == {"detail": "The requested resource does not exist"}
