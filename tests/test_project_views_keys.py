"""Keys page: show DSNs, add a key, revoke a key; admins only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import ProjectKey
from projects.services import create_project


def keys_url(project) -> str:
    return reverse("projects:keys", args=[project.slug])


def test_keys_page_shows_each_keys_dsn(client, owner, project):
    second = ProjectKey.objects.create(project=project, label="CI")
    client.force_login(owner)
    body = client.get(keys_url(project)).content.decode()
    for key in project.keys.all():
        assert key.dsn() in body
    assert second.dsn() == f"http://{second.public_key}@127.0.0.1:8000/{project.pk}"


def test_admin_adds_a_labelled_key(client, owner, project):
    client.force_login(owner)
    response = client.post(reverse("projects:add_key", args=[project.slug]), {"label": "Mobile"})
    assert response.status_code == 302
    key = project.keys.get(label="Mobile")
    assert key.is_active and len(key.public_key) == 32


def test_a_too_long_label_is_refused_with_a_message(client, owner, project):
    client.force_login(owner)
    response = client.post(
        reverse("projects:add_key", args=[project.slug]), {"label": "x" * 101}, follow=True
    )
    assert response.status_code == 200
    assert any("could not be added" in str(m) for m in response.context["messages"])
    assert project.keys.count() == 1


def test_admin_revokes_a_key(client, owner, project):
    key = project.keys.get()
    client.force_login(owner)
    response = client.post(reverse("projects:revoke_key", args=[project.slug, key.pk]))
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.is_active is False
    body = client.get(keys_url(project)).content.decode()
    assert "revoked" in body


def test_members_cannot_add_or_revoke_keys(client, member, project):
    key = project.keys.get()
    client.force_login(member)
    assert client.post(reverse("projects:add_key", args=[project.slug])).status_code == 403
    revoke = reverse("projects:revoke_key", args=[project.slug, key.pk])
    assert client.post(revoke).status_code == 403
    key.refresh_from_db()
    assert key.is_active and project.keys.count() == 1


def test_outsiders_cannot_revoke_keys(client, outsider, project):
    key = project.keys.get()
    client.force_login(outsider)
    revoke = reverse("projects:revoke_key", args=[project.slug, key.pk])
    assert client.post(revoke).status_code == 404
    key.refresh_from_db()
    assert key.is_active


def test_another_projects_key_id_is_a_404_even_for_an_admin(client, owner, project):
    foreign = create_project("Foreign").keys.get()
    client.force_login(owner)
    revoke = reverse("projects:revoke_key", args=[project.slug, foreign.pk])
    assert client.post(revoke).status_code == 404
    foreign.refresh_from_db()
    assert foreign.is_active


def test_keys_page_query_count_does_not_grow_with_keys(client, owner, project):
    client.force_login(owner)
    client.get(keys_url(project))
    with CaptureQueriesContext(connection) as one:
        client.get(keys_url(project))
    ProjectKey.objects.bulk_create([ProjectKey(project=project, label=f"k{i}") for i in range(8)])
    with CaptureQueriesContext(connection) as many:
        body = client.get(keys_url(project)).content.decode()
    assert body.count('class="dsn"') == 9
    assert len(many) == len(one)


def post_envelope(base_url: str, project_id: int, public_key: str) -> int:
    """POST a minimal event envelope as an SDK would; returns the HTTP status."""
    import json
    import urllib.error
    import urllib.request
    import uuid

    event_id = uuid.uuid4().hex
    lines = [{"event_id": event_id}, {"type": "event"}, {"event_id": event_id, "message": "hi"}]
    request = urllib.request.Request(
        f"{base_url}/api/{project_id}/envelope/",
        data="".join(json.dumps(line) + "\n" for line in lines).encode(),
        headers={
            "Content-Type": "application/x-sentry-envelope",
            "X-Sentry-Auth": f"Sentry sentry_version=7, sentry_key={public_key}",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.live
def test_a_revoked_key_is_refused_by_ingest(transactional_db, live_server_url, client):
    import time

    from django.conf import settings

    from tests.conftest import make_user

    admin = make_user("keyadmin")
    project = create_project("Revocable", admins=[admin])
    key = project.keys.get()
    assert post_envelope(live_server_url, project.pk, key.public_key) == 200

    client.force_login(admin)
    client.post(reverse("projects:revoke_key", args=[project.slug, key.pk]))
    key.refresh_from_db()
    assert key.is_active is False
    # Ingest caches keys for INGEST_KEY_CACHE_SECONDS; the refusal must come within that.
    deadline = time.monotonic() + settings.INGEST_KEY_CACHE_SECONDS + 5
    while (status := post_envelope(live_server_url, project.pk, key.public_key)) == 200:
        assert time.monotonic() < deadline, "ingest still accepts the revoked key"
        time.sleep(0.5)
    assert status in (401, 403)
