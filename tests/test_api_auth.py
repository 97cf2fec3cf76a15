"""Tokens, authentication and routing of the API."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from api.models import ApiToken, hash_token
from ingest.middleware import INGEST_PATH
from tests.api_factories import auth, token_for
from tests.issue_factories import make_issue

pytestmark = pytest.mark.django_db


def test_createtoken_prints_a_working_token_last_and_stores_only_its_hash(capsys, client, owner):
    call_command("createtoken", "owner", "--label", "ci")
    token = capsys.readouterr().out.strip().splitlines()[-1]
    stored = ApiToken.objects.get(user=owner)
    assert stored.label == "ci"
    assert stored.token_hash == hash_token(token)
    assert token not in {stored.token_hash, stored.label}
    assert client.get("/api/0/projects/", headers=auth(token)).status_code == 200


def test_createtoken_rejects_an_unknown_user():
    with pytest.raises(CommandError, match="nobody"):
        call_command("createtoken", "nobody")
    assert not ApiToken.objects.exists()


def test_a_request_without_a_token_gets_401_with_a_challenge(client, project):
    response = client.get("/api/0/projects/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    "header", ["Bearer nope", "Bearer ", "Basic b3duZXI6cHc=", "Token abc", "Bearer a b"]
)
def test_a_wrong_token_gets_401(client, owner, header):
    token_for(owner)
    response = client.get("/api/0/projects/", headers={"Authorization": header})
    assert response.status_code == 401
    assert "detail" in response.json()
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_deactivated_users_token_gets_401(client, owner):
    token = token_for(owner)
    owner.is_active = False
    owner.save()
    assert client.get("/api/0/projects/", headers=auth(token)).status_code == 401


def test_a_signed_in_session_is_not_enough(client, owner, project):
    client.force_login(owner)
    assert client.get("/api/0/projects/").status_code == 401


def test_the_bearer_scheme_is_case_insensitive(client, owner):
    token = token_for(owner)
    response = client.get("/api/0/projects/", headers={"Authorization": f"bearer {token}"})
    assert response.status_code == 200


def test_using_a_token_records_when_it_was_last_used(client, owner):
    token = token_for(owner)
    client.get("/api/0/projects/", headers=auth(token))
    assert ApiToken.objects.get(user=owner).last_used_at is not None


def test_a_wrong_method_gets_405_json(client, owner, project):
    response = client.post("/api/0/projects/", headers=auth(token_for(owner)))
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert "detail" in response.json()


def test_an_unknown_api_path_gets_404_json(client, owner):
    response = client.get("/api/0/nothing/here/", headers=auth(token_for(owner)))
    assert response.status_code == 404
    assert response.json() == {"detail": "The requested resource does not exist"}


def test_index_says_whom_the_token_belongs_to(client, owner):
    response = client.get("/api/0/", headers=auth(token_for(owner)))
    assert response.json()["user"]["username"] == "owner"


def test_organizations_lists_the_one_organization(client, owner, settings):
    settings.ORGANIZATION_SLUG = "acme"
    response = client.get("/api/0/organizations/", headers=auth(token_for(owner)))
    assert [o["slug"] for o in response.json()] == ["acme"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/0/issues/1/",
        "/api/0/issues/1/events/",
        "/api/0/projects/bugtrack/backend/issues/",
        "/api/0/projects/bugtrack/backend/events/0123/",
    ],
)
def test_api_paths_are_not_taken_for_ingest(path):
    assert INGEST_PATH.match(path) is None


def test_the_ingest_pattern_still_takes_store_and_envelope_paths():
    assert INGEST_PATH.match("/api/0/store/")["endpoint"] == "store"
    assert INGEST_PATH.match("/api/12/envelope/")["project_id"] == "12"


def test_an_issue_request_reaches_the_api_not_ingest(client, owner, project):
    issue = make_issue(project)
    response = client.get(f"/api/0/issues/{issue.pk}/", headers=auth(token_for(owner)))
    assert response.status_code == 200
    assert response.json()["id"] == str(issue.pk)


def test_a_path_without_its_trailing_slash_is_redirected_to_it(client, owner, project):
    response = client.get("/api/0/projects")
    assert response.status_code == 301
    assert response["Location"] == "/api/0/projects/"
