"""SSO end to end in headless Chromium: the button, the round trip through a real provider,
then signed in; then an API token made on the tokens page works against the API."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from api.models import ApiToken, hash_token
from tests.live import Gunicorn, http
from tests.oidc_provider import OidcProvider
from tests.test_browser import Console

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sso_server():
    provider = OidcProvider()
    server = Gunicorn(workers=1, OIDC_BUTTON_LABEL="Sign in with Acme", **provider.env())
    yield provider, server.url
    server.stop()
    provider.stop()


def test_the_sso_button_signs_in_through_the_provider_and_a_new_token_works(browser, sso_server):
    provider, base_url = sso_server
    provider.next_sign_in(email="grace@example.com", preferred_username="grace")
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    console = Console(page)
    page.goto(reverse("login"))
    page.get_by_role("link", name="Sign in with Acme").click()
    page.wait_for_url(f"{base_url}/")
    assert "grace" in page.content()
    user = get_user_model().objects.get(email="grace@example.com")
    assert user.username == "grace"

    page.goto(reverse("tokens:list"))
    page.fill("input[name=name]", "ci")
    page.locator("input[value='event:write']").check()
    page.get_by_role("button", name="Create token").click()
    page.wait_for_load_state()
    secret = page.locator("#new-token").inner_text().strip()
    assert ApiToken.objects.get(user=user).token_hash == hash_token(secret)
    status, _, _ = http(
        base_url + "/api/0/projects/", headers={"Authorization": f"Bearer {secret}"}
    )
    assert status == 200
    assert console.errors == [], console.errors
