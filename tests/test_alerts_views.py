"""Alert pages: who may see them, what they show, and the test-email button."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert, AlertStatus
from alerts.sender import send_due_alerts
from projects.services import create_project
from tests.alert_factories import new_issue_with_alert
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def alerts_url(project) -> str:
    return reverse("alerts:project_alerts", args=[project.slug])


def test_members_see_held_and_failed_alerts(client, project, member, smtp_server, settings):
    settings.ALERTS_MAX_PER_PROJECT_PER_HOUR = 1
    first, _ = new_issue_with_alert(project, title="First error")
    new_issue_with_alert(project, title="Second error")
    _, failed = new_issue_with_alert(project, title="Lost error")
    send_due_alerts()
    Alert.objects.filter(pk=failed.pk).update(status=AlertStatus.FAILED, last_error="SMTP 554")

    client.force_login(member)
    page = client.get(alerts_url(project)).content.decode()

    assert "First error" in page and "Sent" in page
    assert reverse("issues:detail", args=[project.slug, first.pk]) in page
    assert "Second error" in page and "Held back (flood control)" in page
    assert "Lost error" in page and "SMTP 554" in page
    held_only = client.get(alerts_url(project), {"status": "held"}).content.decode()
    assert "Second error" in held_only and "First error" not in held_only


def test_outsiders_get_404_for_a_projects_alerts(client, project, outsider):
    client.force_login(outsider)
    assert client.get(alerts_url(project)).status_code == 404


def test_signed_out_visitors_are_sent_to_login(client, project):
    response = client.get(alerts_url(project))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_alert_titles_are_escaped_on_the_page(client, project, owner):
    new_issue_with_alert(project, title="<img src=x onerror=alert(1)>")
    client.force_login(owner)
    page = client.get(alerts_url(project)).content.decode()
    assert "<img src=x" not in page and "&lt;img src=x" in page


def test_an_admin_can_send_a_test_email_to_themselves(client, project, owner, smtp_server):
    client.force_login(owner)
    response = client.post(reverse("alerts:send_test_email", args=[project.slug]))
    assert response["Location"] == reverse("projects:settings", args=[project.slug])
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "owner@example.com"
    assert message["Subject"] == "[Backend] Test email from Bugtrack"
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert notes == ["A test email was sent to owner@example.com."]


def test_a_failed_test_email_says_why(client, project, owner, smtp_server):
    smtp_server.stop()
    client.force_login(owner)
    response = client.post(reverse("alerts:send_test_email", args=[project.slug]), follow=True)
    assert response.status_code == 200
    notes = [str(m) for m in response.context["messages"]]
    assert len(notes) == 1 and notes[0].startswith("The test email could not be sent")


def test_plain_members_get_403_for_test_emails(client, project, member, smtp_server):
    # A member knows the project exists (404 is for outsiders); the 403 says why not.
    client.force_login(member)
    response = client.post(reverse("alerts:send_test_email", args=[project.slug]))
    assert response.status_code == 403
    assert smtp_server.messages == []


def test_outsiders_get_404_for_test_emails(client, project, outsider, smtp_server):
    client.force_login(outsider)
    response = client.post(reverse("alerts:send_test_email", args=[project.slug]))
    assert response.status_code == 404
    assert smtp_server.messages == []


def test_sending_a_test_email_needs_post(client, project, owner, smtp_server):
    client.force_login(owner)
    response = client.get(reverse("alerts:send_test_email", args=[project.slug]))
    assert response.status_code == 405


def test_staff_see_failed_alerts_across_projects(client, project, owner):
    other = create_project("Frontend")
    _, a = new_issue_with_alert(project, title="Backend lost")
    _, b = new_issue_with_alert(other, title="Frontend lost")
    new_issue_with_alert(other, title="Still pending")
    Alert.objects.filter(pk__in=[a.pk, b.pk]).update(
        status=AlertStatus.FAILED, last_error="Gave up after a day", sent_at=timezone.now()
    )
    owner.is_staff = True
    owner.save()
    client.force_login(owner)
    page = client.get(reverse("alerts:failed")).content.decode()
    assert "Backend lost" in page and "Frontend lost" in page
    assert "Still pending" not in page


def test_non_staff_get_403_for_the_failed_alerts_page(client, owner):
    # Installation-wide, like creating projects: a signed-in user who may not gets a 403.
    client.force_login(owner)
    assert client.get(reverse("alerts:failed")).status_code == 403


def test_superusers_see_the_failed_alerts_page_too(client, db):
    client.force_login(make_user("root", is_superuser=True))
    assert client.get(reverse("alerts:failed")).status_code == 200


def test_only_admins_see_the_test_email_button(client, project, owner, member):
    button = reverse("alerts:send_test_email", args=[project.slug])
    client.force_login(owner)
    assert button in client.get(alerts_url(project)).content.decode()
    client.force_login(member)
    assert button not in client.get(alerts_url(project)).content.decode()


def test_project_pages_link_to_the_alerts_tab(client, project, member):
    client.force_login(member)
    page = client.get(reverse("issues:list", args=[project.slug])).content.decode()
    assert f'href="{alerts_url(project)}"' in page


def test_only_staff_see_the_failed_alerts_link(client, owner):
    failed_url = reverse("alerts:failed")
    client.force_login(owner)
    assert failed_url not in client.get(reverse("issues:project_list")).content.decode()
    owner.is_staff = True
    owner.save(update_fields=["is_staff"])
    assert failed_url in client.get(reverse("issues:project_list")).content.decode()
