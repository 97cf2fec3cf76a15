"""Sign-in with OpenID Connect against a real provider (tests/oidc_provider.py, its own process)."""

import html
import http.client
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts import oidc_discovery
from tests.conftest import make_user
from tests.live import ROOT, process_env
from tests.oidc_provider import OidcProvider

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def provider():
    running = OidcProvider()
    yield running
    running.stop()


@pytest.fixture
def sso(provider, settings):
    env = provider.env()
    settings.OIDC_ISSUER = env["OIDC_ISSUER"]
    settings.OIDC_CLIENT_ID = env["OIDC_CLIENT_ID"]
    settings.OIDC_CLIENT_SECRET = env["OIDC_CLIENT_SECRET"]
    settings.OIDC_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    oidc_discovery.reset()
    yield provider
    oidc_discovery.reset()


def get_without_redirects(url: str) -> tuple[int, dict[str, str]]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", f"{parts.path}?{parts.query}")
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, dict(response.getheaders())


def to_provider(client, next_url: str = "") -> str:
    """Start a sign-in; the provider's answer: the callback URL (path and query) it sends to."""
    start = client.get(reverse("accounts:sso_start") + (f"?next={next_url}" if next_url else ""))
    assert start.status_code == 302, start.content
    status, headers = get_without_redirects(start["Location"])
    assert status == 302, status
    callback = urlsplit(headers["Location"])
    return f"{callback.path}?{callback.query}"


def round_trip(client, provider, **identity):
    provider.next_sign_in(**identity)
    return client.get(to_provider(client), follow=True)


def signed_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=user_id) if user_id else None


def test_the_sign_in_page_shows_the_sso_button_with_its_label(client, sso, settings):
    settings.OIDC_BUTTON_LABEL = "Sign in with Acme"
    body = client.get(reverse("login")).content.decode()
    assert "Sign in with Acme" in body and reverse("accounts:sso_start") in body
    assert 'name="password"' in body  # PASSWORD_LOGIN is on by default


def test_without_an_issuer_there_is_no_button_and_no_sso(client, settings):
    settings.OIDC_ISSUER = ""
    assert "sso" not in client.get(reverse("login")).content.decode()
    assert client.get(reverse("accounts:sso_start")).status_code == 404


def test_the_authorization_request_uses_pkce_state_and_nonce(client, sso):
    start = client.get(reverse("accounts:sso_start"))
    params = {k: v[0] for k, v in parse_qs(urlsplit(start["Location"]).query).items()}
    assert start["Location"].startswith(sso.issuer + "/authorize?")
    assert params["response_type"] == "code" and params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) >= 43
    assert len(params["state"]) >= 32 and len(params["nonce"]) >= 32
    assert params["redirect_uri"] == "http://127.0.0.1:8000/accounts/sso/callback/"


def test_a_first_sign_in_creates_the_user_with_the_verified_email(client, sso):
    response = round_trip(client, sso, email="ada@example.com", preferred_username="ada")
    user = signed_in_user(client)
    assert user is not None and user.email == "ada@example.com" and user.username == "ada"
    assert user.first_name == "Ada" and not user.has_usable_password()
    assert response.redirect_chain[0][0] == "/"


def test_the_sign_in_follows_next(client, sso):
    sso.next_sign_in()
    response = client.get(to_provider(client, next_url="/projects/"))
    assert response["Location"] == "/projects/"


def test_an_existing_user_is_matched_by_verified_email(client, sso, owner):
    round_trip(client, sso, email="OWNER@example.com", preferred_username="someone-else")
    assert signed_in_user(client) == owner
    assert get_user_model().objects.count() == 1


def test_a_taken_username_gets_a_suffix_not_the_other_account(client, sso, owner):
    round_trip(client, sso, email="another@example.com", preferred_username="owner")
    user = signed_in_user(client)
    assert user != owner and user.username == "owner-2"


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("wrong_audience", "Audience doesn't match"),
        ("bad_signature", "Signature verification failed"),
        ("expired", "Signature has expired"),
    ],
)
def test_a_bad_id_token_is_refused(client, sso, fault, reason):
    response = round_trip(client, sso, fault=fault)
    assert signed_in_user(client) is None
    page = html.unescape(response.content.decode())
    assert "Sign-in with SSO failed" in page and reason in page
    assert not get_user_model().objects.exists()


def test_an_unverified_email_is_refused(client, sso):
    response = round_trip(client, sso, email_verified=False)
    assert signed_in_user(client) is None
    assert "has not verified ada@example.com" in response.content.decode()


def test_an_email_outside_the_allowed_domains_is_refused(client, sso, settings):
    settings.OIDC_ALLOWED_EMAIL_DOMAINS = ["acme.com"]
    response = round_trip(client, sso, email="ada@example.com")
    assert signed_in_user(client) is None
    assert "not in an allowed domain" in response.content.decode()
    round_trip(client, sso, email="ada@ACME.com")
    assert signed_in_user(client).email == "ada@acme.com"  # Django lowercases the domain


def test_a_replayed_code_is_refused(client, sso):
    sso.next_sign_in()
    first = to_provider(client)
    assert client.get(first).status_code == 302 and signed_in_user(client) is not None
    client.logout()
    # The same callback again: its state was used up with the first sign-in.
    response = client.get(first, follow=True)
    assert signed_in_user(client) is None and "stale" in response.content.decode()
    # The old code with a fresh state: the provider refuses the code itself.
    fresh = parse_qs(urlsplit(to_provider(client)).query)["state"][0]
    code = parse_qs(urlsplit(first).query)["code"][0]
    response = client.get(
        reverse("accounts:sso_callback"), {"code": code, "state": fresh}, follow=True
    )
    assert signed_in_user(client) is None
    assert "refused the code" in response.content.decode()


def test_with_user_creation_off_only_existing_users_get_in(client, sso, settings, owner):
    settings.OIDC_CREATE_USER = False
    response = round_trip(client, sso, email="stranger@example.com")
    assert signed_in_user(client) is None
    assert "no Bugtrack account" in response.content.decode()
    round_trip(client, sso, email="owner@example.com")
    assert signed_in_user(client) == owner


def test_a_deactivated_user_is_refused(client, sso, owner):
    owner.is_active = False
    owner.save()
    round_trip(client, sso, email="owner@example.com")
    assert signed_in_user(client) is None


def test_a_provider_on_a_private_address_is_refused_unless_allowed(client, sso, settings):
    settings.OIDC_ALLOWED_NETWORKS = []
    response = client.get(reverse("accounts:sso_start"), follow=True)
    assert "cannot be reached" in response.content.decode()
    assert signed_in_user(client) is None


def test_password_login_off_hides_the_form_and_only_staff_may_break_glass(client, sso, settings):
    settings.PASSWORD_LOGIN = False
    make_user("plain")
    make_user("chief", is_staff=True)
    body = client.get(reverse("login")).content.decode()
    assert 'name="password"' not in body and "Sign in with SSO" in body
    assert 'name="password"' in client.get(reverse("login") + "?password").content.decode()
    refused = client.post(reverse("login"), {"username": "plain", "password": "pw-plain"})
    assert refused.status_code == 200 and signed_in_user(client) is None
    assert "Sign in with your company account" in refused.content.decode()
    allowed = client.post(reverse("login"), {"username": "chief", "password": "pw-chief"})
    assert allowed.status_code == 302 and signed_in_user(client).username == "chief"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OIDC_ISSUER": "https://id.example.com"}, "needs OIDC_CLIENT_ID"),
        (
            {"OIDC_ISSUER": "id.example.com", "OIDC_CLIENT_ID": "a", "OIDC_CLIENT_SECRET": "b"},
            "OIDC_ISSUER",
        ),
        ({"PASSWORD_LOGIN": "off"}, "PASSWORD_LOGIN=off needs OIDC_ISSUER"),
        ({"OIDC_ALLOWED_NETWORKS": "not-a-net"}, "OIDC_ALLOWED_NETWORKS is invalid"),
    ],
)
def test_bad_sso_settings_stop_the_start_with_a_message(env, message):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**process_env("http://127.0.0.1:8000"), "OIDC_ISSUER": "", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and message in result.stderr


# --- what a process remembers of the provider (accounts/oidc_discovery.ProviderCache)


class CountingProvider:
    """Discovery and a key set on 127.0.0.1, counting the requests for each."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        import orjson

        self.hits: dict[str, int] = {"discovery": 0, "keys": 0}
        self.kids = ["k1"]
        me = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.endswith("/openid-configuration"):
                    me.hits["discovery"] += 1
                    doc = {
                        "issuer": me.issuer,
                        "authorization_endpoint": me.issuer + "/auth",
                        "token_endpoint": me.issuer + "/token",
                        "jwks_uri": me.issuer + "/keys",
                    }
                else:
                    me.hits["keys"] += 1
                    doc = {"keys": [{"kid": kid, "kty": "RSA"} for kid in me.kids]}
                body = orjson.dumps(doc)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def counting(settings):
    running = CountingProvider()
    settings.OIDC_ISSUER = running.issuer
    settings.OIDC_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    yield running
    running.stop()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_discovery_is_fetched_once_an_hour_and_again_for_another_issuer(counting, settings):
    cache = oidc_discovery.ProviderCache(clock=(clock := Clock()))
    assert cache.provider().jwks_uri == counting.issuer + "/keys"
    clock.now += oidc_discovery.DISCOVERY_TTL - 1
    cache.provider()
    assert counting.hits["discovery"] == 1
    clock.now += 2
    cache.provider()
    assert counting.hits["discovery"] == 2

    other = CountingProvider()
    try:
        settings.OIDC_ISSUER = other.issuer
        assert cache.provider().issuer == other.issuer  # at once, not after the hour
        assert other.hits["discovery"] == 1
    finally:
        other.stop()


def test_keys_are_kept_five_minutes_and_an_unknown_key_refetches_at_most_every_30_s(counting):
    cache = oidc_discovery.ProviderCache(clock=(clock := Clock()))
    assert [k["kid"] for k in cache.signing_keys("k1")] == ["k1"]
    counting.kids = ["k1", "k2"]  # the provider rotates
    clock.now += oidc_discovery.JWKS_REFETCH_AFTER - 1
    assert [k["kid"] for k in cache.signing_keys("k2")] == ["k1"]  # too soon to ask again
    assert counting.hits["keys"] == 1
    clock.now += 2
    assert [k["kid"] for k in cache.signing_keys("k2")] == ["k1", "k2"]
    assert counting.hits["keys"] == 2
    clock.now += oidc_discovery.JWKS_TTL - 1
    cache.signing_keys("k1")  # known, and still fresh
    assert counting.hits["keys"] == 2
    clock.now += 2
    cache.signing_keys("k1")
    assert counting.hits["keys"] == 3
    assert counting.hits["discovery"] == 1  # all within the hour
    cache.reset()
    cache.signing_keys("k1")
    assert counting.hits == {"discovery": 2, "keys": 4}
