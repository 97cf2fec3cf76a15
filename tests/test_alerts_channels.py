"""Alert channels against real local HTTP receivers: every payload, retries, 429, a hanging
endpoint beside fast ones and email, and the SSRF guard at save and at send time."""

import hashlib
import hmac
import threading
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from alerts import dispatch
from alerts.channel_admin import create_channel, queue_test
from alerts.models import Alert, AlertDelivery, AlertStatus, Channel, DeliveryStatus
from alerts.sender import send_due_alerts
from core import outbound
from digest.batch import digest_batch
from tests.alert_factories import new_issue_with_alert
from tests.digest_factories import intake, python_error
from tests.test_outbound import fake_dns

pytestmark = pytest.mark.django_db

KINDS = ["webhook", "slack", "discord", "mattermost", "teams", "ntfy"]


def addchannel(*args: str) -> int:
    out = StringIO()
    call_command("addchannel", *args, stdout=out)
    return int(out.getvalue().strip().splitlines()[-1])


def test_addchannel_prints_the_new_channels_id_on_the_last_line(project, receivers):
    channel_id = addchannel("Backend", "slack", receivers().url)
    channel = Channel.objects.get(pk=channel_id)
    assert channel.project == project and channel.kind == "slack"
    assert project.alert_rules.get().channels.get() == channel  # on the default rule
    assert addchannel(project.slug, "ntfy", receivers().url) != channel_id  # slug works too


def test_every_channel_kind_gets_its_payload_naming_issue_project_level_and_frame(
    project, receivers
):
    hooks = {kind: receivers() for kind in KINDS}
    for kind, receiver in hooks.items():
        addchannel("Backend", kind, receiver.url, "--secret", "s3cret")
    issue, alert = new_issue_with_alert(project, title="ValueError: card declined")
    link = f"http://127.0.0.1:8000/projects/{project.slug}/issues/{issue.pk}/"

    result = send_due_alerts()

    assert result.sent == len(KINDS) + 2  # and the two emails (console backend here)
    got = {kind: r.requests for kind, r in hooks.items()}
    assert all(len(requests) == 1 for requests in got.values())

    webhook = got["webhook"][0].json()
    assert webhook["action"] == "created"
    assert webhook["issue"] == {
        "id": str(issue.pk),
        "shortId": issue.short_code,
        "title": "ValueError: card declined",
        "culprit": "shop.cart in pay",
        "level": "error",
        "url": link,
        "project": project.slug,
        "count": issue.event_count,
        "userCount": 0,
        "firstSeen": webhook["issue"]["firstSeen"],
        "lastSeen": webhook["issue"]["lastSeen"],
    }
    assert webhook["issue"]["firstSeen"].endswith("Z")
    assert webhook["event"]["release"] == "shop@1.0"
    assert webhook["event"]["environment"] == "production"
    assert [f["filename"] for f in webhook["event"]["frames"]] == ["shop/cart.py", "shop/views.py"]
    assert webhook["project"] == {"name": "Backend", "slug": project.slug}

    slack = got["slack"][0].json()
    assert "ValueError: card declined" in slack["text"]
    section = slack["blocks"][0]["text"]["text"]
    assert f"<{link}|ValueError: card declined>" in section and "Backend" in section
    assert "shop/cart.py:17 in pay" in slack["blocks"][1]["elements"][0]["text"]
    assert "Level: error" in slack["blocks"][1]["elements"][0]["text"]

    embed = got["discord"][0].json()["embeds"][0]
    assert embed["url"] == link and "ValueError: card declined" in embed["title"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Project"] == "Backend" and fields["Level"] == "error"
    assert fields["First frame"] == "shop/cart.py:17 in pay"
    assert got["discord"][0].json()["allowed_mentions"] == {"parse": []}

    text = got["mattermost"][0].json()["text"]
    assert link in text and "Backend" in text and "shop/cart.py:17 in pay" in text

    teams = got["teams"][0].json()
    assert teams["type"] == "message"
    attachment = teams["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["actions"][0]["url"] == link
    facts = {f["title"]: f["value"] for f in card["body"][-1]["facts"]}
    assert facts["Project"] == "Backend" and facts["First frame"] == "shop/cart.py:17 in pay"

    ntfy = got["ntfy"][0]
    assert ntfy.headers["Title"] == "[Backend] New issue: ValueError: card declined"
    assert ntfy.headers["Click"] == link
    assert ntfy.headers["Authorization"] == "Bearer s3cret"
    assert "shop/cart.py:17 in pay" in ntfy.body.decode() and link in ntfy.body.decode()

    alert.refresh_from_db()
    assert alert.status == AlertStatus.SENT


def test_a_webhook_receiver_can_verify_the_signature_of_the_raw_body(project, receivers):
    receiver = receivers()
    addchannel("Backend", "webhook", receiver.url, "--secret", "whsec_42")
    new_issue_with_alert(project)
    send_due_alerts()
    request = receiver.requests[0]
    expected = hmac.new(b"whsec_42", request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Bugtrack-Signature"] == f"sha256={expected}"
    assert request.headers["X-Bugtrack-Event"] == "created"
    assert request.headers["Content-Type"] == "application/json"


def test_an_endpoint_answering_500_twice_then_200_gets_exactly_one_success(project, receivers):
    receiver = receivers(statuses=[500, 500, 200])
    addchannel("Backend", "slack", receiver.url)
    _, alert = new_issue_with_alert(project)
    now = timezone.now()

    send_due_alerts(now)
    delivery = AlertDelivery.objects.get(channel__isnull=False)
    assert delivery.status == DeliveryStatus.PENDING and delivery.http_status == 500
    assert delivery.next_attempt_at - now <= timedelta(minutes=1)  # first retry within a minute
    assert "HTTP 500" in delivery.last_error

    later = now
    for _ in range(6):
        later += timedelta(minutes=5)
        send_due_alerts(later)

    assert len(receiver.requests) == 3
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 3
    alert.refresh_from_db()
    assert alert.status == AlertStatus.SENT


def test_a_429_is_retried_after_the_time_its_retry_after_says(project, receivers):
    receiver = receivers(statuses=[429, 200], answer_headers={"Retry-After": "120"})
    addchannel("Backend", "discord", receiver.url)
    new_issue_with_alert(project)
    now = timezone.now()

    send_due_alerts(now)
    send_due_alerts(now + timedelta(seconds=90))
    assert len(receiver.requests) == 1
    send_due_alerts(now + timedelta(seconds=121))
    assert len(receiver.requests) == 2
    assert AlertDelivery.objects.get(channel__isnull=False).status == DeliveryStatus.SENT


def test_a_4xx_answer_fails_the_delivery_without_retrying(project, receivers):
    receiver = receivers(statuses=[404], answer_body=b"no_such_webhook")
    addchannel("Backend", "slack", receiver.url)
    _, alert = new_issue_with_alert(project)
    now = timezone.now()
    send_due_alerts(now)
    send_due_alerts(now + timedelta(hours=2))
    assert len(receiver.requests) == 1
    delivery = AlertDelivery.objects.get(channel__isnull=False)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error == "HTTP 404: no_such_webhook"
    alert.refresh_from_db()
    assert alert.status == AlertStatus.FAILED


def _step_in_a_thread() -> None:
    try:
        send_due_alerts()
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)  # the step runs in a thread with its own connection
def test_a_hanging_endpoint_does_not_delay_the_other_channels_or_email(
    project, receivers, smtp_server, monkeypatch
):
    monkeypatch.setattr(outbound, "TIMEOUT", 4.0)
    hanging = receivers(hang=30)
    fast = [receivers() for _ in range(3)]
    addchannel("Backend", "webhook", hanging.url)
    for receiver in fast:
        addchannel("Backend", "slack", receiver.url)
    new_issue_with_alert(project)
    started = time.monotonic()
    step = threading.Thread(target=_step_in_a_thread)
    step.start()

    deadline = started + 3
    while time.monotonic() < deadline and not (
        all(r.requests for r in fast) and len(smtp_server.messages) == 2
    ):
        time.sleep(0.05)
    assert all(r.requests for r in fast), "a fast channel waited for the hanging one"
    assert len(smtp_server.messages) == 2, "email waited for the hanging channel"
    assert step.is_alive()  # the hanging request is still out
    assert max(r.requests[0].at for r in fast) - started < 2

    step.join(timeout=15)
    assert not step.is_alive()
    rows = AlertDelivery.objects.filter(channel__isnull=False)
    assert rows.filter(status=DeliveryStatus.SENT).count() == 3
    stuck = rows.get(channel__url=hanging.url)
    assert stuck.status == DeliveryStatus.PENDING and "Timed out" in stuck.last_error


def test_the_loop_keeps_sending_while_an_endpoint_hangs(project, receivers, monkeypatch):
    """With the loop's long-lived pool a step does not even wait for the hanging request."""
    monkeypatch.setattr(outbound, "TIMEOUT", 4.0)
    hanging, fast = receivers(hang=30), receivers()
    addchannel("Backend", "webhook", hanging.url)
    addchannel("Backend", "slack", fast.url)
    pool = dispatch.Dispatcher()
    try:
        new_issue_with_alert(project, title="first")
        started = time.monotonic()
        send_due_alerts(dispatcher=pool)
        assert time.monotonic() - started < 2
        new_issue_with_alert(project, title="second")
        for _ in range(20):
            send_due_alerts(dispatcher=pool)
            if len(fast.requests) == 2:
                break
            time.sleep(0.1)
        assert len(fast.requests) == 2 and len(hanging.requests) == 1
        assert time.monotonic() - started < 3
    finally:
        pool.shutdown()


HOSTILE = [
    "http://127.0.0.1:9/hook",
    "http://localhost/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://10.0.0.1/hook",
    "http://192.168.0.10/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://100.64.1.1/hook",
    "http://224.0.0.251/hook",
    "http://0.0.0.0/hook",
    "ftp://hooks.example.com/x",
    "javascript:alert(1)",
    "http://user:pw@hooks.example.com/x",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_urls_are_refused_by_addchannel(url, project, settings):
    settings.ALERT_WEBHOOK_ALLOWED_NETWORKS = ()
    with pytest.raises(CommandError, match="Refused"):
        addchannel("Backend", "webhook", url)
    assert not Channel.objects.exists()


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_urls_are_refused_by_the_form(url, project, owner, client, settings):
    settings.ALERT_WEBHOOK_ALLOWED_NETWORKS = ()
    client.force_login(owner)
    response = client.post(
        f"/projects/{project.slug}/alerts/channels/add/",
        {"kind": "slack", "url": url, "add_to_default_rule": "on"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["url"]
    assert not Channel.objects.exists()


@pytest.mark.parametrize("url", HOSTILE[:11])
def test_hostile_urls_stored_anyway_are_refused_at_send_time(url, project, settings):
    settings.ALERT_WEBHOOK_ALLOWED_NETWORKS = ()
    channel = Channel.objects.create(project=project, kind="webhook", url=url, name="x")
    project.alert_rules.get().channels.add(channel)
    new_issue_with_alert(project)
    send_due_alerts()
    delivery = AlertDelivery.objects.get(channel=channel)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error.startswith("Refused:") and url not in delivery.last_error


def test_a_host_that_resolves_to_a_private_address_after_saving_is_refused_at_send_time(
    project, receivers, settings
):
    receiver = receivers()
    port = receiver.url.split(":")[2].split("/")[0]
    table = {"hooks.example.test": ["93.184.215.14"]}
    dns = fake_dns(table)
    settings.ALERT_WEBHOOK_ALLOWED_NETWORKS = ()
    url = f"http://hooks.example.test:{port}/hook"
    channel = create_channel(project, "webhook", url, resolver=dns)  # public when saved
    table["hooks.example.test"] = ["127.0.0.1"]  # rebound to us
    new_issue_with_alert(project)
    now = timezone.now()
    pool = dispatch.Dispatcher(resolver=dns)
    try:
        send_due_alerts(now, dispatcher=pool)
        dispatch.record(pool.finished(block=True), now)
    finally:
        pool.shutdown()
    assert receiver.requests == []
    delivery = AlertDelivery.objects.get(channel=channel)
    assert delivery.status == DeliveryStatus.FAILED and delivery.last_error.startswith("Refused")


def test_a_repeat_event_of_a_known_issue_sends_nothing(project, receivers):
    receiver = receivers()
    addchannel("Backend", "webhook", receiver.url)
    intake(project, python_error())
    digest_batch()
    send_due_alerts()
    assert len(receiver.requests) == 1 and receiver.requests[0].json()["action"] == "created"

    intake(project, python_error())
    digest_batch()
    send_due_alerts()
    assert len(receiver.requests) == 1
    assert Alert.objects.count() == 1


def test_a_channel_test_goes_through_the_outbox_and_shows_in_the_log(
    project, owner, receivers, client
):
    receiver = receivers()
    channel = Channel.objects.get(pk=addchannel("Backend", "mattermost", receiver.url))
    client.force_login(owner)
    response = client.post(f"/projects/{project.slug}/alerts/channels/{channel.pk}/test/")
    assert response.status_code == 302
    send_due_alerts()
    assert "Bugtrack can reach this channel" in receiver.requests[0].json()["text"]
    page = client.get(f"/projects/{project.slug}/alerts/channels/{channel.pk}/")
    assert b"Channel test" in page.content and b"Sent" in page.content


def test_the_url_and_secret_are_never_shown_in_full_after_saving(
    project, owner, member, receivers, client
):
    url = receivers().url + "/T000/B000/XXXXSECRETPATH"
    queue_test(Channel.objects.get(pk=addchannel("Backend", "slack", url, "--secret", "hush")))
    for user in (owner, member):
        client.force_login(user)
        for page in ("/alerts/", f"/alerts/channels/{Channel.objects.get().pk}/"):
            body = client.get(f"/projects/{project.slug}{page}").content.decode()
            assert "XXXXSECRETPATH" not in body and "hush" not in body
            assert "http://127.0.0.1/…" in body


def test_the_flood_cap_applies_per_channel_with_one_summary(project, receivers, settings):
    settings.ALERTS_MAX_PER_PROJECT_PER_HOUR = 2
    receiver = receivers()
    addchannel("Backend", "webhook", receiver.url)
    now = timezone.now()
    for n in range(5):
        new_issue_with_alert(project, title=f"Error {n}", created_at=now)
    send_due_alerts(now)
    assert [r.json()["action"] for r in receiver.requests] == ["created", "created"]

    send_due_alerts(now + timedelta(minutes=61))
    actions = [r.json()["action"] for r in receiver.requests]
    assert actions == ["created", "created", "summary"]
    summary = receiver.requests[-1].json()
    assert summary["held"] == 3
    assert [i["title"] for i in summary["issues"]] == ["Error 2", "Error 3", "Error 4"]
    send_due_alerts(now + timedelta(minutes=130))
    assert len(receiver.requests) == 3
