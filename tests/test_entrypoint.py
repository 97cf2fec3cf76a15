"""The Docker entrypoint, run on this machine exactly as the image runs it (role `all`)."""

import os
import signal
import subprocess
import sys
import time

import pytest

from issues.models import Issue
from tests.conftest import dsn_for
from tests.live import ROOT, free_port, http, process_env, send_with_sentry_sdk, wait_for_port


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.mark.live
def test_entrypoint_all_serves_ingests_and_digests_an_sdk_event(
    transactional_db, project, tmp_path
):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # No BIND: the server listens on BASE_URL's port (bugtrack.environment.default_bind).
    env = process_env(url, LOG_FORMAT="json", PYTHON=sys.executable)
    env.pop("BIND", None)
    log = tmp_path / "entrypoint.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["bash", str(ROOT / "docker" / "entrypoint.sh"), "all"],
            cwd="/",  # the script must find its own way home
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_port(port, proc, timeout=120)
        assert http(f"{url}/health/live")[0] == 200
        send_with_sentry_sdk(dsn_for(project, url), "entrypoint smoke")
        deadline = time.monotonic() + 60
        while not Issue.objects.filter(project=project).exists():
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            assert proc.poll() is None, log.read_text()[-3000:]
            time.sleep(0.5)
        issue = Issue.objects.get(project=project)
        assert "entrypoint smoke" in issue.title
        assert http(f"{url}/health/ready")[0] == 200
    finally:
        stop(proc)
    assert proc.returncode == 0, log.read_text()[-3000:]


def test_entrypoint_refuses_an_unknown_role():
    result = subprocess.run(
        ["bash", str(ROOT / "docker" / "entrypoint.sh"), "nonsense"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 64
    assert "usage" in result.stderr
