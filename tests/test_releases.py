"""Releases as sentry-cli manages them (API), the Releases tab, and release links."""

import pytest
from django.urls import reverse

from issues.models import Deploy, Release, ReleaseCommit
from tests.api_factories import auth, token_for
from tests.issue_factories import make_issue, make_tag
from tests.jsapps import SENTRY_CLI, sentry_cli

ORG = "/api/0/organizations/bugtrack"


def post(client, token, path, body):
    return client.post(path, body, content_type="application/json", headers=auth(token))


def put(client, token, path, body):
    return client.put(path, body, content_type="application/json", headers=auth(token))


@pytest.mark.django_db
def test_a_release_is_created_finalized_given_commits_and_deployed(client, project, owner):
    token = token_for(owner)
    made = post(
        client, token, f"{ORG}/releases/", {"version": "web@1.2.0", "projects": ["backend"]}
    )
    assert made.status_code == 201
    assert made.json()["version"] == "web@1.2.0" and made.json()["dateReleased"] is None
    assert made.json()["projects"][0]["slug"] == "backend"
    again = post(
        client, token, f"{ORG}/releases/", {"version": "web@1.2.0", "projects": [project.pk]}
    )
    assert again.status_code == 201 and Release.objects.count() == 1  # idempotent

    body = {
        "dateReleased": "2026-01-02T03:04:05Z",
        "refs": [{"repository": "acme/web", "commit": "abc123", "previousCommit": "9f8e7d"}],
        "commits": [{"id": "abc123", "message": "Fix checkout", "author_email": "a@x.io"}],
    }
    finalized = put(client, token, f"{ORG}/releases/web@1.2.0/", body)
    assert finalized.json()["dateReleased"] == "2026-01-02T03:04:05Z"
    assert set(ReleaseCommit.objects.values_list("commit", "is_ref")) == {
        ("abc123", True), ("abc123", False)
    }  # fmt: skip
    commits = client.get(f"{ORG}/releases/web@1.2.0/commits/", headers=auth(token)).json()
    assert [c["id"] for c in commits] == ["abc123"]

    deploy = post(client, token, f"{ORG}/releases/web@1.2.0/deploys/",
                  {"environment": "production", "name": "first"})  # fmt: skip
    assert deploy.status_code == 201 and deploy.json()["environment"] == "production"
    listed = client.get(f"{ORG}/releases/web@1.2.0/deploys/", headers=auth(token)).json()
    assert [d["name"] for d in listed] == ["first"]
    assert post(client, token, f"{ORG}/releases/web@1.2.0/deploys/", {}).status_code == 400

    rows = client.get(f"{ORG}/releases/", headers=auth(token)).json()
    assert [r["version"] for r in rows] == ["web@1.2.0"] and rows[0]["deployCount"] == 1
    by_project = client.get("/api/0/projects/bugtrack/backend/releases/", headers=auth(token))
    assert [r["version"] for r in by_project.json()] == ["web@1.2.0"]


@pytest.mark.django_db
def test_releases_of_projects_the_token_user_is_not_in_are_404(client, project, outsider):
    Release.objects.create(project=project, version="1.0", first_seen="2026-01-01T00:00:00Z")
    token = token_for(outsider)
    assert client.get(f"{ORG}/releases/1.0/", headers=auth(token)).status_code == 404
    assert client.get(f"{ORG}/releases/", headers=auth(token)).json() == []
    refused = post(client, token, f"{ORG}/releases/", {"version": "2.0", "projects": ["backend"]})
    assert refused.status_code == 404 and Release.objects.count() == 1
    deploy = post(client, token, f"{ORG}/releases/1.0/deploys/", {"environment": "prod"})
    assert deploy.status_code == 404 and not Deploy.objects.exists()
    assert client.get("/api/0/projects/bugtrack/backend/releases/",
                      headers=auth(token)).status_code == 404  # fmt: skip


@pytest.mark.django_db
def test_a_release_without_a_version_or_with_a_bad_date_is_400(client, project, owner):
    token = token_for(owner)
    assert post(client, token, f"{ORG}/releases/", {"projects": ["backend"]}).status_code == 400
    bad = post(client, token, f"{ORG}/releases/",
               {"version": "1", "projects": ["backend"], "dateReleased": "soon"})  # fmt: skip
    assert bad.status_code == 400 and not Release.objects.exists()


@pytest.mark.django_db
def test_the_releases_tab_shows_created_finalized_deploys_new_issues_events_and_last_seen(
    client, project, owner
):
    release = Release.objects.create(
        project=project, version="web@<1>", first_seen="2026-01-01T00:00:00Z"
    )
    Deploy.objects.create(release=release, environment="staging")
    issue = make_issue(project, first_release="web@<1>", last_release="web@<1>")
    make_tag(issue, "release", "web@<1>", count=7)
    client.force_login(owner)
    page = client.get(reverse("issues:releases", args=[project.slug])).content.decode()
    assert "web@&lt;1&gt;" in page and "web@<1>" not in page  # escaped
    assert "staging" in page and "unreleased" in page
    assert ">7<" in page and ">1<" in page
    detail = client.get(reverse("issues:detail", args=[project.slug, issue.pk])).content.decode()
    assert "release%3A%22web%40%3C1%3E%22" in detail  # links to release:"web@<1>" in search


@pytest.mark.live
@pytest.mark.skipif(SENTRY_CLI is None, reason="sentry-cli is not installed")
@pytest.mark.django_db(transaction=True)
def test_sentry_cli_creates_lists_finalizes_and_deploys_releases(
    live_server_url, project, owner, tmp_path
):
    cli = (live_server_url, token_for(owner), tmp_path)
    assert "Created release 2.0.0" in sentry_cli(
        *cli, "releases", "new", "-o", "bugtrack", "-p", "backend", "2.0.0"
    )
    assert "2.0.0" in sentry_cli(*cli, "releases", "list", "-o", "bugtrack", "-p", "backend")
    assert "Finalized release 2.0.0" in sentry_cli(
        *cli, "releases", "finalize", "-o", "bugtrack", "2.0.0"
    )
    assert "2.0.0" in sentry_cli(*cli, "releases", "info", "-o", "bugtrack", "2.0.0")
    sentry_cli(*cli, "deploys", "new", "-o", "bugtrack", "-r", "2.0.0", "-e", "production")
    assert "production" in sentry_cli(*cli, "deploys", "list", "-o", "bugtrack", "-r", "2.0.0")
    release = Release.objects.get(project=project, version="2.0.0")
    assert release.date_released is not None
    assert release.deploys.get().environment == "production"
