"""Debug information files: `sentry-cli debug-files upload` against a live Bugtrack, the
assemble protocol, refusals, caps and project isolation."""

import hashlib
import os
import subprocess
from pathlib import Path

import pytest
from symbolic.debuginfo import Archive

from artifacts.models import DebugFile, UploadChunk
from projects.services import create_project
from tests.api_factories import auth, token_for
from tests.dif_factories import assemble, compile_c, upload
from tests.jsapps import SENTRY_CLI, sentry_cli

pytestmark = pytest.mark.django_db
LIST = "/api/0/projects/bugtrack/{}/files/dsyms/"


def debug_id_of(path: Path) -> str:
    return str(next(Archive.open(str(path)).iter_objects()).debug_id)


def cli_run(base_url: str, token: str, home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", ""),
           "SENTRY_DISABLE_UPDATE_CHECK": "1"}  # fmt: skip
    cmd = [SENTRY_CLI or "sentry-cli", "--url", base_url, "--auth-token", token, *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.live
@pytest.mark.skipif(SENTRY_CLI is None, reason="sentry-cli is not installed")
@pytest.mark.django_db(transaction=True)
def test_sentry_cli_uploads_a_gcc_binary_once_and_the_api_lists_it_by_its_debug_id(
    live_server_url, client, project, owner, tmp_path
):
    binary = compile_c(tmp_path / "build")
    debug_id = debug_id_of(binary)
    token = token_for(owner)
    cli = (live_server_url, token, tmp_path)
    upload_args = ("debug-files", "upload", "-o", "bugtrack", "-p", project.slug, str(binary))
    out = sentry_cli(*cli, *upload_args)
    assert "Uploaded 1 missing debug information file" in out
    assert debug_id in out and "hello" in out and "x86_64" in out

    listed = client.get(LIST.format(project.slug), {"debug_id": debug_id}, headers=auth(token))
    assert listed.status_code == 200
    (dif,) = listed.json()
    assert (dif["debugId"], dif["objectName"], dif["cpuName"], dif["symbolType"]) == (
        debug_id, "hello", "x86_64", "elf"
    )  # fmt: skip
    assert dif["codeId"] and dif["sha1"] == hashlib.sha1(binary.read_bytes()).hexdigest()
    assert "debug" in dif["data"]["features"]
    assert not UploadChunk.objects.exists()  # assembled chunks are deleted

    again = sentry_cli(*cli, *upload_args, "--wait")
    assert "Nothing to upload, all files are on the server" in again
    assert DebugFile.objects.filter(project=project).count() == 1


@pytest.mark.live
@pytest.mark.skipif(SENTRY_CLI is None, reason="sentry-cli is not installed")
@pytest.mark.django_db(transaction=True)
def test_sentry_cli_cannot_upload_into_a_project_the_token_user_is_not_in(
    live_server_url, project, outsider, tmp_path
):
    binary = compile_c(tmp_path / "build")
    args = ("debug-files", "upload", "-o", "bugtrack", "-p", project.slug, str(binary))
    done = cli_run(live_server_url, token_for(outsider), tmp_path, *args)
    assert done.returncode != 0
    assert "project" in (done.stdout + done.stderr).lower()
    assert not DebugFile.objects.exists()


def test_assemble_first_names_the_missing_chunks_then_stores_the_debug_file(
    client, project, owner, tmp_path
):
    data = compile_c(tmp_path).read_bytes()
    checksum = hashlib.sha1(data).hexdigest()
    token = token_for(owner)
    first = assemble(client, token, project.slug, data)
    assert first.json() == {
        checksum: {"state": "not_found", "missingChunks": [checksum], "detail": None, "dif": None}
    }
    done = upload(client, token, project.slug, data, name="build/hello").json()[checksum]
    assert done["state"] == "ok" and done["missingChunks"] == []
    assert done["dif"]["objectName"] == "hello" and done["dif"]["uuid"] == done["dif"]["debugId"]
    stored = DebugFile.objects.get(project=project)
    assert (stored.file_format, stored.kind, stored.file_size) == ("elf", "lib", len(data))
    twice = assemble(client, token, project.slug, data).json()[checksum]
    assert twice["state"] == "ok" and twice["dif"]["id"] == str(stored.pk)
    assert DebugFile.objects.count() == 1


def test_a_file_that_is_no_object_file_is_refused_and_nothing_is_stored(client, project, owner):
    response = upload(client, token_for(owner), project.slug, b"just some text\n" * 100, "notes")
    assert response.status_code == 400
    assert "not a debug information file" in response.json()["detail"]
    assert not DebugFile.objects.exists() and not UploadChunk.objects.exists()


def test_a_debug_id_the_file_does_not_hold_is_refused(client, project, owner, tmp_path):
    data = compile_c(tmp_path).read_bytes()
    other = "5f1b3c2a-9d4e-4f6a-8b7c-0123456789ab"
    response = upload(client, token_for(owner), project.slug, data, debug_id=other)
    assert response.status_code == 400 and not DebugFile.objects.exists()


def test_a_debug_file_past_the_size_cap_is_413_and_nothing_is_stored(
    client, project, owner, tmp_path, settings
):
    data = compile_c(tmp_path).read_bytes()
    settings.ARTIFACT_MAX_DEBUG_FILE_BYTES = len(data) - 1
    response = upload(client, token_for(owner), project.slug, data)
    assert response.status_code == 413
    assert not DebugFile.objects.exists() and not UploadChunk.objects.exists()


def test_past_the_per_project_quota_the_oldest_debug_files_are_deleted(
    client, project, owner, tmp_path, settings
):
    settings.ARTIFACT_MAX_DEBUG_FILES_PER_PROJECT = 2
    token = token_for(owner)
    ids = []
    for n in range(3):
        data = compile_c(tmp_path / str(n), body=f"return {n};").read_bytes()
        ids.append(upload(client, token, project.slug, data).json().popitem()[1]["dif"]["id"])
    kept = DebugFile.objects.filter(project=project).values_list("pk", flat=True)
    assert sorted(str(pk) for pk in kept) == sorted(ids[1:])


def test_debug_files_of_a_project_the_token_user_is_not_in_are_404(
    client, project, owner, outsider, tmp_path
):
    data = compile_c(tmp_path).read_bytes()
    upload(client, token_for(owner), project.slug, data)
    token = token_for(outsider)
    assert upload(client, token, project.slug, data).status_code == 404
    listed = client.get(LIST.format(project.slug), headers=auth(token))
    assert listed.status_code == 404
    mine = create_project("Mine", admins=[outsider])
    assert client.get(LIST.format(mine.slug), headers=auth(token)).json() == []
    assert DebugFile.objects.filter(project=mine).count() == 0
