"""The optional `.env` file and the default listen address (bugtrack/environment.py)."""

import os
import subprocess
import sys

import pytest

from bugtrack import environment
from tests.live import ROOT


@pytest.mark.parametrize(
    ("base_url", "bind"),
    [
        ("http://127.0.0.1:9000", "127.0.0.1:9000"),
        ("http://localhost:8123/", "127.0.0.1:8123"),
        ("https://bugs.example.com", "127.0.0.1:8000"),
        ("http://127.0.0.1", "127.0.0.1:8000"),
        ("http://127.0.0.1:notaport", "127.0.0.1:8000"),
    ],
)
def test_without_bind_the_server_listens_on_base_urls_port(base_url, bind):
    assert environment.default_bind(base_url) == bind


def test_the_env_file_fills_in_what_the_environment_does_not_set(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text("# local settings\nBT_ENVTEST_A=from-file\nBT_ENVTEST_B=from-file\n")
    monkeypatch.setattr(environment, "ENV_FILE", env_file)
    monkeypatch.setenv("BT_ENVTEST_B", "from-environment")
    monkeypatch.delenv("PYTEST_VERSION")  # as outside a test session
    try:
        environment.read_env_file()
        assert os.environ["BT_ENVTEST_A"] == "from-file"
        assert os.environ["BT_ENVTEST_B"] == "from-environment"
    finally:
        os.environ.pop("BT_ENVTEST_A", None)


def test_the_test_suite_does_not_read_the_env_file(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text("BT_ENVTEST_C=from-file\n")
    monkeypatch.setattr(environment, "ENV_FILE", env_file)
    assert os.environ.get("PYTEST_VERSION")
    environment.read_env_file()
    assert "BT_ENVTEST_C" not in os.environ


def test_no_env_file_is_fine(tmp_path, monkeypatch):
    monkeypatch.setattr(environment, "ENV_FILE", tmp_path / "missing" / ".env")
    environment.read_env_file()


def gunicorn_bind(tmp_path, **env: str) -> str:
    environment_vars = {k: v for k, v in os.environ.items() if k not in ("BIND", "BASE_URL")}
    environment_vars.update(PROMETHEUS_MULTIPROC_DIR=str(tmp_path), **env)
    code = "import runpy; print(runpy.run_path('bugtrack/gunicorn.conf.py')['bind'])"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment_vars,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_gunicorns_config_has_the_same_default_and_bind_wins(tmp_path):
    assert gunicorn_bind(tmp_path, BASE_URL="http://127.0.0.1:9012") == "127.0.0.1:9012"
    assert gunicorn_bind(tmp_path, BASE_URL="http://127.0.0.1:9012", BIND="0.0.0.0:80") == (
        "0.0.0.0:80"
    )
