"""The API end to end: a token from createtoken, plain http.client, the real gunicorn."""

import http.client
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from issues.models import IssueStatus
from tests.api_factories import token_for
from tests.issue_factories import make_event, make_issue

# The venv's sentry-cli (a dev dependency), else one on PATH.
_venv_cli = Path(sys.executable).with_name("sentry-cli")
SENTRY_CLI = str(_venv_cli) if _venv_cli.exists() else shutil.which("sentry-cli")

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


def sentry_cli(base_url: str, token: str, home, *args: str) -> str:
    """The real sentry-cli (from PyPI) against our server; its own config and update check off."""
    env = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", ""),
        "SENTRY_DISABLE_UPDATE_CHECK": "1",
    }
    cmd = [SENTRY_CLI, "--url", base_url, "--auth-token", token, *args]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(SENTRY_CLI is None, reason="sentry-cli is not installed")
def test_sentry_cli_lists_resolves_and_reads_events(
    transactional_db, live_server_url, project, owner, tmp_path
):
    issue = make_issue(project, title="HTTPError: 429 Client Error")
    other = make_issue(project, title="KeyError: 'basket'")
    event = make_event(issue)
    token = token_for(owner)
    org = ["-o", "bugtrack", "-p", "backend"]

    assert "User: owner@example.com" in sentry_cli(live_server_url, token, tmp_path, "info")
    listed = sentry_cli(live_server_url, token, tmp_path, "issues", "list", *org)
    assert f"BACKEND-{issue.short_id}" in listed and "KeyError: 'basket'" in listed

    sentry_cli(live_server_url, token, tmp_path, "issues", "resolve", *org, "-i", str(issue.pk))
    issue.refresh_from_db()
    other.refresh_from_db()
    assert (issue.status, other.status) == (IssueStatus.RESOLVED, IssueStatus.UNRESOLVED)
    assert issue.history.get().user == owner

    sentry_cli(live_server_url, token, tmp_path, "issues", "mute", *org, "--status", "unresolved")
    other.refresh_from_db()
    assert other.status == IssueStatus.IGNORED

    events = sentry_cli(live_server_url, token, tmp_path, "events", "list", *org, "--show-tags")
    assert str(uuid.UUID(event.event_id)) in events and "server_name: web-1" in events
    projects = sentry_cli(live_server_url, token, tmp_path, "projects", "list", "-o", "bugtrack")
    assert "backend" in projects
