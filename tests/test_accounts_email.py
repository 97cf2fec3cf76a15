"""Password-reset and invitation emails through a real SMTP server (aiosmtpd)."""

import re

from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.conftest import make_user


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_password_reset_mails_a_base_url_link_that_sets_a_new_password(
    client, smtp_server, settings, db
):
    settings.BASE_URL = "https://bugs.example.com"
    settings.ALLOWED_HOSTS = ["*"]
    user = make_user("forgetful")
    # The Host header is attacker-chosen; the link must still point at BASE_URL.
    response = client.post(
        reverse("password_reset"), {"email": "FORGETFUL@example.com"}, HTTP_HOST="evil.example"
    )
    assert response["Location"] == reverse("password_reset_done")
    (message,) = smtp_server.wait_for(1)
    assert message["To"] == "forgetful@example.com"
    assert "Reset your Bugtrack password" in message["Subject"]
    body = text_of(message)
    assert "evil.example" not in body
    link = re.search(r"https://bugs\.example\.com(/accounts/reset/\S+/)", body)[1]

    landing = client.get(link)  # Django swaps the token for a session marker and redirects
    assert landing.status_code == 302
    form_url = landing["Location"]
    done = client.post(
        form_url, {"new_password1": "Brand-new-pass1", "new_password2": "Brand-new-pass1"}
    )
    assert done["Location"] == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("Brand-new-pass1")
    # The link is single-use.
    assert "no longer valid" in client.get(link, follow=True).content.decode()


def test_password_reset_for_an_unknown_email_sends_nothing_but_looks_the_same(
    client, smtp_server, owner
):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response["Location"] == reverse("password_reset_done")
    # A known address next, as a barrier: once its message is in, the first one would be too.
    client.post(reverse("password_reset"), {"email": owner.email})
    assert [m["To"] for m in smtp_server.wait_for(1)] == [owner.email]


def test_an_invitation_arrives_by_smtp_and_its_link_creates_the_account(
    client, smtp_server, settings, db
):
    settings.BASE_URL = "http://bugs.internal:8000"
    staff = make_user("chief", is_superuser=True, is_staff=True)
    client.force_login(staff)
    client.post(reverse("accounts:invite"), {"email": "colleague@example.com"})
    (message,) = smtp_server.wait_for(1)
    assert message["To"] == "colleague@example.com"
    assert "invited" in message["Subject"]
    link = re.search(r"http://bugs\.internal:8000(/accounts/invite/[\w-]+/)", text_of(message))[1]
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f'href="http://bugs.internal:8000{link}"' in html

    client.logout()
    client.post(
        link, {"username": "colleague", "password1": "Corr3ct-horse", "password2": "Corr3ct-horse"}
    )
    user = get_user_model().objects.get(username="colleague")
    assert user.email == "colleague@example.com"
    client.logout()
    signed_in = client.post(
        reverse("login"), {"username": "colleague", "password": "Corr3ct-horse"}
    )
    assert signed_in.status_code == 302
