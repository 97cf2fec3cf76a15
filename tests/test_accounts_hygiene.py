"""Account hygiene: email changes need the password, secret links stay out of the logs."""

import logging
import re

import pytest
from django.urls import reverse

from accounts.invitations import invite
from core.logging import JsonFormatter
from tests.conftest import make_user
from tests.test_accounts_email import text_of

pytestmark = pytest.mark.django_db


def profile_post(email: str, **extra: str) -> dict[str, str]:
    return {
        "profile-first_name": "",
        "profile-last_name": "",
        "profile-email": email,
        "defaults-alerts_for_new_projects": "on",
        **extra,
    }


def test_changing_the_email_needs_the_current_password(client, owner):
    client.force_login(owner)
    url = reverse("accounts:settings")
    refused = client.post(url, profile_post("thief@example.com"))
    assert refused.status_code == 200
    assert "current password" in refused.content.decode()
    wrong = client.post(url, profile_post("thief@example.com", **{"profile-password": "nope"}))
    assert wrong.status_code == 200
    owner.refresh_from_db()
    assert owner.email == "owner@example.com"
    done = client.post(url, profile_post("new@example.com", **{"profile-password": "pw-owner"}))
    assert done.status_code == 302
    owner.refresh_from_db()
    assert owner.email == "new@example.com"


def test_guessing_the_password_on_the_settings_page_is_throttled(client, owner):
    from accounts import throttle

    client.force_login(owner)
    url = reverse("accounts:settings")
    for _ in range(throttle.MAX_FAILURES):
        client.post(url, profile_post("thief@example.com", **{"profile-password": "guess"}))
    right = client.post(url, profile_post("thief@example.com", **{"profile-password": "pw-owner"}))
    assert "Too many failed sign-ins" in right.content.decode()
    owner.refresh_from_db()
    assert owner.email == "owner@example.com"


def test_saving_settings_without_changing_the_email_needs_no_password(client, owner):
    client.force_login(owner)
    response = client.post(reverse("accounts:settings"), profile_post("OWNER@example.com"))
    assert response.status_code == 302


def test_the_old_address_is_told_of_an_email_change(client, owner, smtp_server):
    client.force_login(owner)
    client.post(
        reverse("accounts:settings"),
        profile_post("new@example.com", **{"profile-password": "pw-owner"}),
    )
    (message,) = smtp_server.wait_for(1)
    assert message["To"] == "owner@example.com"
    assert "email address" in message["Subject"].lower()
    assert "new@example.com" in text_of(message)


def logged_text(caplog) -> str:
    """The captured records as the log shows them (message and plain extras)."""
    return "\n".join(JsonFormatter().format(r) for r in caplog.records)


def test_reset_and_invitation_tokens_never_reach_the_logs(client, smtp_server, caplog):
    make_user("forgetful")
    staff = make_user("chief", is_staff=True)
    with caplog.at_level(logging.INFO):
        client.post(reverse("password_reset"), {"email": "forgetful@example.com"})
        (message,) = smtp_server.wait_for(1)
        reset = re.search(r"(/accounts/reset/\S+/)", text_of(message))[1]
        form_url = client.get(reset)["Location"]
        client.post(
            form_url, {"new_password1": "Brand-new-pass1", "new_password2": "Brand-new-pass1"}
        )
        client.get(reset)  # used: no longer valid

        _, link = invite("colleague@example.com", staff)
        invitation = link[link.index("/accounts/") :]
        client.post(
            invitation,
            {"username": "colleague", "password1": "Corr3ct-horse", "password2": "Corr3ct-horse"},
        )
        client.logout()
        client.get(invitation)  # accepted: a 404, which Django logs as well
    text = logged_text(caplog)
    reset_token = reset.rstrip("/").rsplit("/", 1)[1]
    invitation_token = invitation.rstrip("/").rsplit("/", 1)[1]
    assert "accounts/reset/" in text and "accounts/invite/" in text  # the routes are logged
    assert reset_token not in text
    assert invitation_token not in text
