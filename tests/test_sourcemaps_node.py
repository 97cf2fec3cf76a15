"""A TypeScript service using @sentry/node, built by esbuild, maps injected and uploaded with
sentry-cli, run by node against the live gunicorn: its frames read like the TypeScript."""

import os
import subprocess

import pytest

from events import payload
from events.models import Event
from tests.api_factories import token_for
from tests.conftest import dsn_for
from tests.jsapps import app_source, esbuild, npm_install, sentry_cli
from tests.test_api_live import request
from tests.test_sourcemaps_browser import digest_everything

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def test_a_typescript_node_error_resolves_to_the_typescript_source(
    live_server_url, project, owner, tmp_path
):
    npm_install()
    token = token_for(owner)
    source = app_source("node", tmp_path)
    dist = source / "dist"
    esbuild(source / "app.ts", dist / "app.js", platform="node")
    sentry_cli(live_server_url, token, tmp_path, "sourcemaps", "inject", str(dist))
    sentry_cli(live_server_url, token, tmp_path, "sourcemaps", "upload",
               "-o", "bugtrack", "-p", project.slug, str(dist))  # fmt: skip
    env = {**os.environ, "BUGTRACK_DSN": dsn_for(project, live_server_url),
           "BUGTRACK_RELEASE": "svc@1.0.0"}  # fmt: skip
    done = subprocess.run(["node", str(dist / "app.js")], env=env, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    digest_everything()

    event = Event.objects.get(project=project)
    frames = payload.decode(event.payload)["exception"]["values"][-1]["stacktrace"]["frames"]
    frame = next(f for f in frames if f.get("function") == "invoiceTotal")
    assert frame["filename"].endswith("app.ts")
    assert "invoice.lines!.reduce" in frame["context_line"]
    assert frame["data"]["resolved_with"] == "debug-id"

    status, _, body = request(
        live_server_url, "GET", f"/api/0/issues/{event.issue_id}/events/latest/", token
    )
    exception = next(e for e in body["entries"] if e["type"] == "exception")
    api_frame = next(
        f for f in exception["data"]["values"][-1]["stacktrace"]["frames"]
        if f["function"] == "invoiceTotal"
    )  # fmt: skip
    assert api_frame["filename"].endswith("app.ts")
    assert "invoice.lines!.reduce" in dict(api_frame["context"])[api_frame["lineNo"]]
