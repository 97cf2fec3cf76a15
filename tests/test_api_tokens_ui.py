"""User settings -> Tokens: create with scopes (secret shown once), list, revoke."""

import pytest
from django.urls import reverse

from api.models import ApiToken, hash_token
from tests.api_factories import auth
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def create(client, name: str, scopes: list[str]):
    return client.post(reverse("tokens:create"), {"name": name, "scopes": scopes})


def test_a_created_token_is_shown_once_and_only_its_hash_is_stored(client, owner):
    client.force_login(owner)
    response = create(client, "ci", ["project:read", "event:read"])
    assert response.status_code == 200
    secret = response.context["secret"]
    stored = ApiToken.objects.get(user=owner)
    assert stored.token_hash == hash_token(secret) and stored.scopes == [
        "project:read",
        "event:read",
    ]
    assert secret in response.content.decode() and response["Cache-Control"] == "no-store"
    page = client.get(reverse("tokens:list")).content.decode()
    assert secret not in page
    assert "ci" in page and "project:read, event:read" in page and "never" in page
    assert client.get("/api/0/projects/", headers=auth(secret)).status_code == 200


def test_the_list_shows_when_a_token_was_last_used(client, owner):
    client.force_login(owner)
    secret = create(client, "ci", ["project:read"]).context["secret"]
    client.get("/api/0/projects/", headers=auth(secret))
    page = client.get(reverse("tokens:list")).content.decode()
    assert "never" not in page


def test_a_token_needs_a_name_and_a_scope(client, owner):
    client.force_login(owner)
    assert create(client, "", ["project:read"]).status_code == 400
    assert create(client, "ci", []).status_code == 400
    assert create(client, "ci", ["org:admin"]).status_code == 400
    assert not ApiToken.objects.exists()


def test_revoking_a_token_stops_it_working(client, owner):
    client.force_login(owner)
    secret = create(client, "ci", ["project:read"]).context["secret"]
    token = ApiToken.objects.get(user=owner)
    response = client.post(reverse("tokens:revoke", args=[token.pk]))
    assert response["Location"] == reverse("tokens:list")
    assert client.get("/api/0/projects/", headers=auth(secret)).status_code == 401


def test_nobody_else_can_revoke_your_token(client, owner):
    token, _ = ApiToken.issue(owner, label="mine")
    client.force_login(make_user("intruder"))
    assert client.post(reverse("tokens:revoke", args=[token.pk])).status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_the_tokens_page_and_the_setup_page_show_the_org_slug_and_a_sentryclirc(
    client, owner, project, settings
):
    settings.ORGANIZATION_SLUG = "acme"
    settings.BASE_URL = "https://bugs.example.com"
    client.force_login(owner)
    tokens = client.get(reverse("tokens:list")).content.decode()
    assert "acme" in tokens and "url = https://bugs.example.com/" in tokens
    setup = client.get(reverse("projects:setup", args=[project.slug])).content.decode()
    assert "org = acme" in setup and f"project = {project.slug}" in setup
