"""Token scopes, with Sentry's names: a read-only token reads and is refused every write."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from api.models import ApiToken
from tests.api_factories import auth
from tests.issue_factories import make_issue

pytestmark = pytest.mark.django_db

READ_ONLY = ["project:read", "event:read"]


def test_a_read_only_token_reads_but_gets_403_on_every_write(client, owner, project):
    issue = make_issue(project)
    _, token = ApiToken.issue(owner, label="ro", scopes=READ_ONLY)
    headers = auth(token)
    assert client.get(f"/api/0/issues/{issue.pk}/", headers=headers).status_code == 200
    writes = [
        f"/api/0/issues/{issue.pk}/",
        f"/api/0/organizations/bugtrack/issues/{issue.pk}/",
        f"/api/0/projects/bugtrack/{project.slug}/issues/?id={issue.pk}",
    ]
    for url in writes:
        response = client.put(
            url, {"status": "resolved"}, content_type="application/json", headers=headers
        )
        assert response.status_code == 403, url
        assert "event:write" in response.json()["detail"]
    issue.refresh_from_db()
    assert issue.status == "unresolved"


def test_a_token_without_event_read_cannot_list_events(client, owner, project):
    issue = make_issue(project)
    _, token = ApiToken.issue(owner, scopes=["project:read"])
    assert client.get("/api/0/projects/", headers=auth(token)).status_code == 200
    url = f"/api/0/issues/{issue.pk}/events/"
    assert client.get(url, headers=auth(token)).status_code == 403


def test_a_write_scope_implies_its_read_scope(client, owner, project):
    issue = make_issue(project)
    _, token = ApiToken.issue(owner, scopes=["event:write", "project:write"])
    assert client.get(f"/api/0/issues/{issue.pk}/", headers=auth(token)).status_code == 200


def test_the_index_reports_the_tokens_own_scopes(client, owner):
    _, token = ApiToken.issue(owner, scopes=READ_ONLY)
    assert client.get("/api/0/", headers=auth(token)).json()["auth"]["scopes"] == READ_ONLY


def test_createtoken_takes_scopes(capsys, owner):
    call_command("createtoken", "owner", "--scopes", "project:read,project:releases")
    assert ApiToken.objects.get(user=owner).scopes == ["project:read", "project:releases"]


def test_createtoken_refuses_an_unknown_scope(owner):
    with pytest.raises(CommandError, match="org:admin"):
        call_command("createtoken", "owner", "--scopes", "project:read,org:admin")
    assert not ApiToken.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_tokens_made_before_scopes_keep_every_scope():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = [("api", "0001_initial")], [("api", "0002_token_scopes")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    User = old.get_model("auth", "User")
    user = User.objects.create(username="old-timer")
    old.get_model("api", "ApiToken").objects.create(user_id=user.pk, token_hash="a" * 64)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    token = ApiToken.objects.get(token_hash="a" * 64)
    assert token.scopes == [
        "project:read",
        "event:read",
        "event:write",
        "project:write",
        "project:releases",
    ]
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
