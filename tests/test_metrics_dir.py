"""A PROMETHEUS_MULTIPROC_DIR that does not exist yet is created, not a crash at start."""

import os
import signal
import subprocess
import sys

import pytest

from tests.live import ROOT, free_port, http, process_env, wait_for_port


def test_a_missing_metrics_directory_is_created_when_the_metrics_load(tmp_path):
    missing = tmp_path / "not" / "yet"
    env = {**os.environ, "DATA_DIR": str(tmp_path), "PROMETHEUS_MULTIPROC_DIR": str(missing)}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/db.sqlite3"
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check"],
        capture_output=True, text=True, env=env, timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert missing.is_dir()


def test_an_uncreatable_metrics_directory_is_one_line_naming_it(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = {**os.environ, "DATA_DIR": str(tmp_path), "PROMETHEUS_MULTIPROC_DIR": str(blocker / "x")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/db.sqlite3"
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check"],
        capture_output=True, text=True, env=env, timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "PROMETHEUS_MULTIPROC_DIR" in result.stderr


@pytest.mark.live
def test_serve_starts_with_a_metrics_directory_that_does_not_exist_yet(transactional_db, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    missing = tmp_path / "metrics" / "shared"
    env = process_env(url, PROMETHEUS_MULTIPROC_DIR=str(missing), METRICS_TOKEN="t" * 20)
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "serve", "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        wait_for_port(port, proc, timeout=60)
        assert http(f"{url}/health/live")[0] == 200
        status, _, body = http(f"{url}/metrics", headers={"Authorization": "Bearer " + "t" * 20})
        assert status == 200 and b"bugtrack_events_accepted" in body
    except Exception:
        print(log.read_text()[-3000:])
        raise
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=40)
    assert "Traceback" not in log.read_text()
