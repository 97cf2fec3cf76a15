"""Sign-in throttling: too many failures for one username or one address lock them out."""

import logging
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import throttle
from tests.api_factories import auth, token_for
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def sign_in(client, username: str, password: str, address: str = "10.0.0.1", **headers: str):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **headers,
    )


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail_ten_times(client, username: str = "owner", address: str = "10.0.0.1") -> None:
    for _ in range(throttle.MAX_FAILURES):
        assert sign_in(client, username, "wrong", address).status_code == 200


def metric(name: str, **labels: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_ten_wrong_passwords_lock_the_username_even_with_the_right_password(client, owner):
    fail_ten_times(client)
    # Another address: the username alone is locked.
    response = sign_in(client, "owner", "pw-owner", address="10.9.9.9")
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert not is_signed_in(client)


def test_ten_failures_from_one_address_lock_that_address_for_every_username(client, owner):
    for n in range(throttle.MAX_FAILURES):
        sign_in(client, f"nobody{n}", "wrong")
    assert sign_in(client, "owner", "pw-owner").status_code == 429
    assert not is_signed_in(client)
    assert sign_in(client, "owner", "pw-owner", address="10.0.0.2").status_code == 302


def test_a_successful_sign_in_resets_the_count(client, owner):
    for _ in range(throttle.MAX_FAILURES - 1):
        sign_in(client, "owner", "wrong")
    assert sign_in(client, "owner", "pw-owner").status_code == 302
    client.logout()
    for _ in range(throttle.MAX_FAILURES - 1):
        sign_in(client, "owner", "wrong")
    assert sign_in(client, "owner", "pw-owner").status_code == 302


def test_each_lockout_round_lasts_longer_than_the_one_before():
    keys = throttle.signin_keys("victim", "10.0.0.1")
    now = timezone.now()
    lengths = []
    for _ in range(3):
        lock = None
        for _ in range(throttle.MAX_FAILURES):
            lock = throttle.failed(keys, now=now)
        assert lock is not None
        lengths.append(lock.until - now)
        assert throttle.locked(keys, now=lock.until - timedelta(seconds=1)) is not None
        now = lock.until  # the lock has run out: the next round starts
        assert throttle.locked(keys, now=now) is None
    assert lengths[0] < lengths[1] < lengths[2]


def test_a_lockout_is_logged_and_counted(client, owner, caplog):
    before = metric("bugtrack_signin_lockouts_total", kind="signin")
    with caplog.at_level(logging.WARNING, logger="accounts.throttle"):
        fail_ten_times(client)
    assert metric("bugtrack_signin_lockouts_total", kind="signin") == before + 2  # user, address
    assert any("locked" in r.getMessage() for r in caplog.records)
    refused = metric("bugtrack_signin_refused_total", kind="signin")
    sign_in(client, "owner", "pw-owner")
    assert metric("bugtrack_signin_refused_total", kind="signin") == refused + 1


def test_password_reset_requests_from_one_address_are_throttled(client, owner):
    url = reverse("password_reset")
    for n in range(throttle.MAX_FAILURES):
        response = client.post(url, {"email": f"x{n}@example.com"}, REMOTE_ADDR="10.0.0.5")
        assert response.status_code == 302
    response = client.post(url, {"email": "owner@example.com"}, REMOTE_ADDR="10.0.0.5")
    assert response.status_code == 429


def test_a_burst_of_bad_api_tokens_from_one_address_is_refused_with_429(client, owner):
    token = token_for(owner)
    for _ in range(throttle.MAX_FAILURES):
        bad = client.get("/api/0/projects/", headers=auth("nope"), REMOTE_ADDR="10.0.0.7")
        assert bad.status_code == 401
    refused = client.get("/api/0/projects/", headers=auth(token), REMOTE_ADDR="10.0.0.7")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["detail"].startswith("Too many")
    other = client.get("/api/0/projects/", headers=auth(token), REMOTE_ADDR="10.0.0.8")
    assert other.status_code == 200


def test_the_forwarded_address_counts_only_behind_a_proxy(client, owner, settings):
    # Without BEHIND_PROXY a client could pick a fresh X-Forwarded-For for every guess.
    for n in range(throttle.MAX_FAILURES):
        sign_in(client, f"n{n}", "x", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert sign_in(client, "owner", "pw-owner", address="10.0.0.1").status_code == 429


def test_behind_a_proxy_the_address_the_proxy_saw_is_counted(client, settings):
    settings.BEHIND_PROXY = True
    make_user("someone")
    for n in range(throttle.MAX_FAILURES):
        forwarded = f"spoofed, 198.51.100.{n % 2}"
        sign_in(client, f"n{n}", "x", address="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    # Half the failures each: neither address is locked, the proxy's own address neither.
    assert sign_in(client, "someone", "pw-someone", address="127.0.0.1").status_code == 302
