"""Editing a channel (name, URL, secret) and switching it off and on again."""

import pytest
from django.test import Client
from django.urls import reverse

from alerts.channel_admin import create_channel
from alerts.models import AlertDelivery, Channel
from alerts.sender import send_due_alerts
from tests.alert_factories import new_issue_with_alert
from tests.test_alerts_channels import HOSTILE

pytestmark = pytest.mark.django_db


def url(name: str, channel: Channel) -> str:
    return reverse(f"alerts:{name}", args=[channel.project.slug, channel.pk])


@pytest.fixture
def channel(project, receivers) -> Channel:
    return create_channel(project, "webhook", receivers().url + "/SECRETPATH", "Ops", secret="hush")


def test_the_edit_form_shows_neither_the_saved_url_nor_the_secret(client, owner, channel):
    client.force_login(owner)
    page = client.get(url("channel_edit", channel)).content.decode()
    assert "SECRETPATH" not in page and "hush" not in page
    assert 'value="http://127.0.0.1/…"' in page and 'value="Ops"' in page


def test_saving_with_the_masked_url_and_a_blank_secret_keeps_both(client, owner, channel):
    saved_url = channel.url
    client.force_login(owner)
    response = client.post(
        url("channel_edit", channel), {"name": "Ops on call", "url": channel.masked_url}
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.name, channel.url, channel.secret) == ("Ops on call", saved_url, "hush")


def test_a_new_url_and_secret_replace_the_saved_ones(client, owner, channel, receivers):
    new_url = receivers().url + "/NEW"
    client.force_login(owner)
    client.post(url("channel_edit", channel), {"name": "", "url": new_url, "secret": "s2"})
    channel.refresh_from_db()
    assert (channel.name, channel.url, channel.secret) == ("Webhook (JSON, signed)", new_url, "s2")


@pytest.mark.parametrize("hostile", HOSTILE[:3] + ["http://10.0.0.1/hook"])
def test_a_private_address_is_refused_as_when_adding(client, owner, channel, settings, hostile):
    saved_url = channel.url
    settings.ALERT_WEBHOOK_ALLOWED_NETWORKS = ()
    client.force_login(owner)
    response = client.post(url("channel_edit", channel), {"name": "Ops", "url": hostile})
    assert response.status_code == 200
    assert response.context["form"].errors["url"]
    channel.refresh_from_db()
    assert channel.url == saved_url


@pytest.mark.parametrize("name", ["channel_edit", "channel_disable", "channel_enable"])
def test_plain_members_get_403_and_outsiders_404(client, member, outsider, channel, name):
    client.force_login(member)
    assert (
        client.post(url(name, channel), {"name": "x", "url": "https://x.example/"}).status_code
        == 403
    )
    client.force_login(outsider)
    assert client.post(url(name, channel)).status_code == 404
    channel.refresh_from_db()
    assert channel.name == "Ops" and channel.enabled


@pytest.mark.parametrize("name", ["channel_edit", "channel_disable"])
def test_the_posts_need_a_csrf_token(owner, channel, name):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    assert (
        strict.post(url(name, channel), {"name": "x", "url": "https://x.example/"}).status_code
        == 403
    )
    channel.refresh_from_db()
    assert channel.name == "Ops" and channel.enabled


def test_a_disabled_channel_gets_nothing_until_enabled_again(
    client, owner, project, receivers, smtp_server
):
    off, on = receivers(), receivers()
    muted = create_channel(project, "slack", off.url, "Off")
    create_channel(project, "slack", on.url, "On")
    client.force_login(owner)
    assert client.post(url("channel_disable", muted)).status_code == 302

    new_issue_with_alert(project, title="First")
    send_due_alerts()
    assert off.requests == [] and len(on.requests) == 1
    assert len(smtp_server.messages) == 2  # owner and member
    assert not AlertDelivery.objects.filter(channel=muted).exists()
    page = client.get(reverse("alerts:project_alerts", args=[project.slug])).content.decode()
    assert "Off</a> (disabled)" in page and "Enable</button>" in page

    client.post(url("channel_enable", muted))
    new_issue_with_alert(project, title="Second")
    send_due_alerts()
    assert len(off.requests) == 1 and "Second" in off.requests[0].json()["text"]
    assert len(on.requests) == 2 and len(smtp_server.messages) == 4


def test_a_test_message_still_reaches_a_disabled_channel(client, owner, project, receivers):
    receiver = receivers()
    channel = create_channel(project, "mattermost", receiver.url, "Off")
    client.force_login(owner)
    client.post(url("channel_disable", channel))
    client.post(url("channel_test", channel))
    send_due_alerts()
    assert "Bugtrack can reach this channel" in receiver.requests[0].json()["text"]
