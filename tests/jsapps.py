"""Real JavaScript apps for the source-map tests: npm packages from tests/js/package-lock.json
(installed by `npm ci` into tests/js/node_modules, gitignored, once per lock file), built by
esbuild, with sentry-cli from the Python dev dependencies."""

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live import ROOT

JS = ROOT / "tests" / "js"
APPS = JS / "sourcemaps"
MODULES = JS / "node_modules"
_STAMP = MODULES / ".bugtrack-lock-sha1"
_venv_cli = Path(sys.executable).with_name("sentry-cli")
SENTRY_CLI = str(_venv_cli) if _venv_cli.exists() else shutil.which("sentry-cli")


def npm_install() -> None:
    """`npm ci` once per lock file, under a file lock (xdist workers or parallel runs)."""
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.skip(
            "node and npm are needed to build the JavaScript test apps (apt-get install npm)"
        )
    if SENTRY_CLI is None:
        pytest.skip("sentry-cli is not installed (pip install -e '.[dev]')")
    digest = hashlib.sha1((JS / "package-lock.json").read_bytes()).hexdigest()
    with open(JS / ".npm-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _STAMP.exists() and _STAMP.read_text() == digest:
            return
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=JS, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        _STAMP.write_text(digest)


def esbuild(entry: Path, outfile: Path, *, platform: str = "browser", minify: bool = True) -> Path:
    args = [str(MODULES / ".bin" / "esbuild"), str(entry), "--bundle", "--sourcemap",
            f"--outfile={outfile}", f"--platform={platform}"]  # fmt: skip
    if minify:
        args.append("--minify")
    done = subprocess.run(args, cwd=JS, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NODE_PATH": str(MODULES)})  # fmt: skip
    assert done.returncode == 0, done.stderr
    return outfile


def app_source(name: str, tmp_path: Path, extra: str = "") -> Path:
    """A copy of a test app next to node_modules' resolution root, optionally with an extra
    function (a rebuild that changes every minified name and the content hash)."""
    source = APPS / name
    target = JS / ".build" / tmp_path.name / name
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    if extra:
        for path in target.iterdir():
            path.write_text(path.read_text().replace("// EXTRA:", extra + "\n// EXTRA:"))
    return target


def sentry_cli(base_url: str, token: str, home: Path, *args: str) -> str:
    env = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", ""),
        "SENTRY_DISABLE_UPDATE_CHECK": "1",
    }
    cmd = [SENTRY_CLI or "sentry-cli", "--url", base_url, "--auth-token", token, *args]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout
