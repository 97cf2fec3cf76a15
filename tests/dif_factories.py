"""Debug files for the tests: small C programs built by gcc with a build id, and the
two-step upload (chunks, then `difs/assemble`) through the Django test client."""

import gzip
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api_factories import auth

GCC = shutil.which("gcc")


def compile_c(directory: Path, name: str = "hello", body: str = "return 0;") -> Path:
    """`gcc -g` a one-function program (a build id, so it has a debug id); skip without gcc."""
    if GCC is None:
        pytest.skip("gcc is needed to build a debug information file (apt-get install gcc)")
    directory.mkdir(parents=True, exist_ok=True)
    source = directory / f"{name}.c"
    source.write_text(f"int main(void) {{ {body} }}\n")
    binary = directory / name
    done = subprocess.run(
        [GCC, "-g", "-Wl,--build-id=sha1", "-o", str(binary), str(source)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    source.unlink()  # only the binary is left for sentry-cli to find
    return binary


def assemble_path(project_slug: str) -> str:
    return f"/api/0/projects/bugtrack/{project_slug}/files/difs/assemble/"


def assemble(client, token: str, project_slug: str, data: bytes, name: str = "hello", **extra):
    checksum = hashlib.sha1(data).hexdigest()
    body = {checksum: {"name": name, "chunks": [checksum], **extra}}
    return client.post(
        assemble_path(project_slug), body, content_type="application/json", headers=auth(token)
    )


def upload(client, token: str, project_slug: str, data: bytes, name: str = "hello", **extra):
    """Upload `data` as one gzip chunk, then assemble it; returns the assemble response."""
    first = assemble(client, token, project_slug, data, name, **extra)
    checksum = hashlib.sha1(data).hexdigest()
    if first.status_code != 200 or first.json()[checksum]["state"] != "not_found":
        return first
    chunk = SimpleUploadedFile(checksum, gzip.compress(data))
    sent = client.post(
        "/api/0/organizations/bugtrack/chunk-upload/", {"file_gzip": chunk}, headers=auth(token)
    )
    assert sent.status_code == 200, sent.content
    return assemble(client, token, project_slug, data, name, **extra)
