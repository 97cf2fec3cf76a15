"""PRODUCTION=1 refuses weak SECRET_KEYs; an https BASE_URL passes `check --deploy` cleanly.

Settings are read once per process, so each case starts `manage.py` in a subprocess.
"""

import os
import re
import secrets
import subprocess
import sys

import pytest

from tests.live import ROOT

GOOD_KEY = secrets.token_urlsafe(50)


def sample_key() -> str:
    """The SECRET_KEY that docker/bugtrack.env ships as an example."""
    text = (ROOT / "docker" / "bugtrack.env").read_text()
    return re.search(r"^SECRET_KEY=(.*)$", text, re.M)[1].strip()


def manage(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "BEHIND_PROXY")}
    base.update(DATA_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")
    base.update(env)
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        capture_output=True, text=True, env=base, timeout=60, cwd=ROOT,
    )  # fmt: skip


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(sample_key(), id="docker-sample"),
        pytest.param("changeme", id="changeme"),
        pytest.param("secret", id="secret"),
        pytest.param("change-me-" + "x" * 50, id="change-me-padded"),
        pytest.param("django-insecure-" + secrets.token_urlsafe(50), id="django-insecure"),
        pytest.param(secrets.token_urlsafe(50)[:49], id="49-chars"),
        pytest.param("ab" * 40, id="few-distinct-chars"),
    ],
)
def test_production_refuses_a_weak_secret_key_with_one_line(tmp_path, key):
    result = manage(tmp_path, "check", PRODUCTION="1", SECRET_KEY=key)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "SECRET_KEY" in lines[0] and "Traceback" not in result.stderr
    if len(key) > 20:
        assert key not in result.stderr  # a real key must not end up in a log


def test_production_refuses_a_missing_secret_key_with_one_line(tmp_path):
    result = manage(tmp_path, "check", PRODUCTION="1")
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "SECRET_KEY" in result.stderr


def test_a_long_random_key_is_accepted(tmp_path):
    result = manage(tmp_path, "check", PRODUCTION="1", SECRET_KEY=GOOD_KEY)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("behind_proxy", ["0", "1"])
def test_check_deploy_is_clean_with_an_https_base_url(tmp_path, behind_proxy):
    result = manage(
        tmp_path, "check", "--deploy", "--fail-level", "WARNING",
        PRODUCTION="1", SECRET_KEY=GOOD_KEY, BASE_URL="https://bugs.example.com",
        BEHIND_PROXY=behind_proxy,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def shown(tmp_path, names: str, **env: str) -> list[str]:
    code = f"from django.conf import settings; print(*[getattr(settings, n) for n in {names!r}])"
    result = manage(
        tmp_path, "shell", "-c", code, PRODUCTION="1", SECRET_KEY=GOOD_KEY,
        BASE_URL="https://bugs.example.com", **env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1].split()


SECURE = ["SECURE_HSTS_SECONDS", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE",
          "CSRF_COOKIE_SECURE"]  # fmt: skip


def test_https_turns_on_hsts_secure_cookies_and_the_ssl_redirect(tmp_path):
    assert shown(tmp_path, SECURE) == ["31536000", "True", "True", "True"]


def test_behind_a_tls_proxy_the_proxy_redirects_not_django(tmp_path):
    assert shown(tmp_path, SECURE, BEHIND_PROXY="1") == ["31536000", "False", "True", "True"]


def test_hsts_and_the_redirect_are_configurable(tmp_path):
    values = shown(tmp_path, SECURE, SECURE_HSTS_SECONDS="600", SECURE_SSL_REDIRECT="0")
    assert values[:2] == ["600", "False"]


@pytest.mark.django_db
def test_the_ssl_redirect_spares_health_probes_and_sdk_traffic(settings):
    from django.test import Client

    settings.SECURE_SSL_REDIRECT = True
    client = Client()  # a new handler: SecurityMiddleware reads the setting when it loads
    assert client.get("/accounts/login/").status_code == 301
    assert client.get("/health/live").status_code == 200
    sdk = client.post(
        "/api/1/envelope/", data=b"{}\n", content_type="application/x-sentry-envelope"
    )
    assert sdk.status_code == 401
