"""Bundles through the upload API, symbolication in the digest, hostile uploads, isolation."""

import hashlib
import io
import json
import os
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from artifacts import lookup, sourcemaps
from artifacts.models import ArtifactBundle, ArtifactFile, UploadChunk
from digest.batch import digest_batch
from events import payload
from events.models import Event
from projects.services import create_project
from tests.api_factories import auth, token_for
from tests.artifact_factories import DEBUG_ID, SOURCE_MAP, bundle_zip, js_event, upload
from tests.digest_factories import intake

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_caches():
    lookup.forget()
    sourcemaps.clear()
    yield
    lookup.forget()
    sourcemaps.clear()


def nothing_stored() -> bool:
    return not (
        ArtifactBundle.objects.exists()
        or ArtifactFile.objects.exists()
        or UploadChunk.objects.exists()
    )


def digested_frame(project, event: dict) -> dict:
    intake(project, event)
    digest_batch()
    data = payload.decode(Event.objects.filter(project=project).latest("id").payload)
    return data["exception"]["values"][0]["stacktrace"]["frames"][-1]


def test_the_chunk_upload_options_name_sha1_gzip_bundles_and_debug_files(client, project, owner):
    response = client.get(
        "/api/0/organizations/bugtrack/chunk-upload/", headers=auth(token_for(owner))
    )
    body = response.json()
    assert body["hashAlgorithm"] == "sha1" and body["compression"] == ["gzip"]
    assert set(body["accept"]) == {"artifact_bundles", "artifact_bundles_v2", "debug_files"}
    assert body["url"].endswith("/api/0/organizations/bugtrack/chunk-upload/")
    assert client.get("/api/0/organizations/bugtrack/chunk-upload/").status_code == 401
    assert client.get("/api/0/organizations/other/chunk-upload/",
                      headers=auth(token_for(owner))).status_code == 404  # fmt: skip


def test_assemble_first_names_the_missing_chunks_then_stores_the_bundle(client, project, owner):
    token = token_for(owner)
    data = bundle_zip(release="web@1.0")
    checksum = hashlib.sha1(data).hexdigest()
    path = "/api/0/organizations/bugtrack/artifactbundle/assemble/"
    body = {"checksum": checksum, "chunks": [checksum], "projects": [project.slug]}
    first = client.post(path, body, content_type="application/json", headers=auth(token))
    assert first.json() == {"state": "not_found", "missingChunks": [checksum], "detail": None}
    assert upload(client, token, data, [project.slug]).json()["state"] == "ok"
    bundle = ArtifactBundle.objects.get(project=project)
    assert (bundle.release, bundle.file_count) == ("web@1.0", 2)
    assert not UploadChunk.objects.exists()  # assembled chunks are deleted
    again = client.post(path, body, content_type="application/json", headers=auth(token))
    assert again.json()["state"] == "ok"  # already there: nothing to upload
    assert ArtifactBundle.objects.count() == 1


def test_a_frame_with_an_uploaded_debug_id_resolves_to_the_original_source(client, project, owner):
    upload(client, token_for(owner), bundle_zip(), [project.slug])
    frame = digested_frame(project, js_event())
    assert frame["filename"] == "src/checkout.js"
    assert frame["lineno"] == 2
    assert "basket.items.reduce" in frame["context_line"]
    assert frame["pre_context"] == ["function computeTotal(basket) {"]
    assert frame["data"]["resolved_with"] == "debug-id"
    data = payload.decode(Event.objects.get(project=project).payload)
    raw = data["exception"]["values"][0]["raw_stacktrace"]["frames"][-1]
    assert (raw["filename"], raw["lineno"], raw["colno"]) == (
        "http://localhost/static/app.min.js",
        2,
        1,
    )


def test_a_frame_resolves_by_release_and_url_prefix_without_a_debug_id(client, project, owner):
    files = {
        "_/_/static/app.min.js": ("minified_source", "~/static/app.min.js",
                                  b"function a(){\nthrow 1}\n", {"sourcemap": "app.min.js.map"}),
        "_/_/static/app.min.js.map": ("source_map", "~/static/app.min.js.map",
                                      json.dumps(SOURCE_MAP).encode(), {}),
    }  # fmt: skip
    upload(client, token_for(owner), bundle_zip(files), [project.slug], version="web@2.0")
    frame = digested_frame(project, js_event(debug_id=None, release="web@2.0"))
    assert frame["filename"] == "src/checkout.js"
    assert frame["data"]["resolved_with"] == "release"
    other = digested_frame(project, js_event(debug_id=None, release="web@3.0"))
    assert other["data"]["sourcemap_error"] == "missing_file"


def test_a_bundle_of_one_project_is_never_applied_to_another_even_with_the_same_debug_id(
    client, project, owner
):
    other = create_project("Other", admins=[owner])
    upload(client, token_for(owner), bundle_zip(), [project.slug])
    frame = digested_frame(other, js_event())
    assert frame["data"] == {"sourcemap_error": "missing_bundle", "debug_id": DEBUG_ID}
    assert frame["filename"] == "http://localhost/static/app.min.js"
    assert digested_frame(project, js_event())["filename"] == "src/checkout.js"


def test_a_member_cannot_upload_into_a_project_they_are_not_in(client, project, outsider):
    token = token_for(outsider)
    response = upload(client, token, bundle_zip(), [project.slug])
    assert response.status_code == 404
    assert not ArtifactBundle.objects.exists()
    mine = create_project("Mine", admins=[outsider])
    both = upload(client, token, bundle_zip(), [mine.slug, project.slug])
    assert both.status_code == 404 and not ArtifactBundle.objects.exists()


def zip_of(entries: dict[str, bytes], manifest: dict | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        if manifest is not None:
            zf.writestr("manifest.json", json.dumps(manifest))
        for name, content in entries.items():
            zf.writestr(name, content)
    return buffer.getvalue()


def bomb() -> bytes:
    """300 MB of zeros in a ~300 KB zip."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf,
        zf.open("files/_/_/a.js", "w") as f,
    ):
        for _ in range(300):
            f.write(bytes(1024 * 1024))
    return buffer.getvalue()


def many_mappings() -> bytes:
    sourcemap = {"version": 3, "sources": ["a.js"], "names": [], "mappings": "AAAA," * 10_000_000}
    return bundle_zip({"_/_/a.js.map": ("source_map", "~/a.js.map", json.dumps(sourcemap).encode(),
                                        {"debug-id": DEBUG_ID})})  # fmt: skip


@pytest.mark.parametrize(
    ("name", "make", "status"),
    [
        ("a zip bomb", bomb, 413),
        ("../ entries", lambda: zip_of({"../../etc/passwd": b"x"}, {"files": {}}), 400),
        ("an absolute entry", lambda: zip_of({"/etc/cron.d/x": b"x"}, {"files": {}}), 400),
        ("a map with 10M mappings", many_mappings, 413),
        ("a non-zip", lambda: b"this is not a zip archive" * 100, 400),
        ("a zip without a manifest", lambda: zip_of({"files/a.js": b"x"}), 400),
        (
            "a map that is not JSON",
            lambda: bundle_zip({"_/_/a.js.map": ("source_map", "~/a.js.map", b"{not json", {})}),
            400,
        ),  # fmt: skip
    ],
)
def test_hostile_bundles_are_refused_with_nothing_stored(
    client, project, owner, name, make, status
):
    response = upload(client, token_for(owner), make(), [project.slug])
    assert response.status_code == status, response.content
    assert response.json()["detail"]
    assert nothing_stored()


def test_too_many_entries_are_refused(client, project, owner, settings):
    settings.ARTIFACT_MAX_FILES = 3
    entries = {f"files/{n}.js": b"x" for n in range(5)}
    response = upload(client, token_for(owner), zip_of(entries, {"files": {}}), [project.slug])
    assert response.status_code == 400 and nothing_stored()


def test_a_chunk_past_the_limit_is_413(client, project, owner, settings):
    settings.ARTIFACT_MAX_CHUNK_BYTES = 1000
    data = bytes(range(256)) * 8
    chunk = SimpleUploadedFile(hashlib.sha1(data).hexdigest(), data)
    response = client.post("/api/0/organizations/bugtrack/chunk-upload/", {"file": chunk},
                           headers=auth(token_for(owner)))  # fmt: skip
    assert response.status_code == 413 and nothing_stored()


def test_a_chunk_whose_content_does_not_match_its_name_is_refused(client, project, owner):
    chunk = SimpleUploadedFile("0" * 40, b"some bytes")
    response = client.post("/api/0/organizations/bugtrack/chunk-upload/", {"file": chunk},
                           headers=auth(token_for(owner)))  # fmt: skip
    assert response.status_code == 400 and nothing_stored()


def test_a_bundle_past_the_limit_is_413(client, project, owner, settings):
    settings.ARTIFACT_MAX_BUNDLE_BYTES = 2000
    data = bundle_zip({"_/_/a.js": ("minified_source", "~/a.js", os.urandom(10_000), {})})
    response = upload(client, token_for(owner), data, [project.slug])
    assert response.status_code == 413 and nothing_stored()


def test_past_the_bundle_cap_the_oldest_bundles_are_deleted(client, project, owner, settings):
    settings.ARTIFACT_MAX_BUNDLES_PER_PROJECT = 2
    token = token_for(owner)
    for n in range(3):
        upload(client, token, bundle_zip(note=f"build {n}"), [project.slug])
    kept = ArtifactBundle.objects.filter(project=project).order_by("created_at")
    assert kept.count() == 2
    assert ArtifactFile.objects.filter(project=project).count() == 4


def test_past_the_byte_cap_the_oldest_bundles_are_deleted(client, project, owner, settings):
    token = token_for(owner)
    upload(client, token, bundle_zip(note="old"), [project.slug])
    size = ArtifactBundle.objects.get().size
    settings.ARTIFACT_MAX_BYTES_PER_PROJECT = size * 2 - 1
    new = bundle_zip(note="new")  # built once: a zip's entries carry the time of day
    upload(client, token, new, [project.slug])
    (kept,) = ArtifactBundle.objects.filter(project=project)
    assert kept.checksum == hashlib.sha1(new).hexdigest()


def test_an_unreadable_stored_map_is_named_on_the_frame(client, project, owner):
    upload(client, token_for(owner), bundle_zip(), [project.slug])
    ArtifactFile.objects.filter(kind="source_map").update(content=b"garbage")
    frame = digested_frame(project, js_event())
    assert frame["data"]["sourcemap_error"] == "unreadable"


def test_plain_events_are_not_touched_by_symbolication(project):
    event = {"platform": "python", "exception": {"values": [{"type": "E", "stacktrace": {
        "frames": [{"filename": "a.py", "function": "f", "lineno": 1, "colno": 1}]}}]}}  # fmt: skip
    intake(project, event)
    digest_batch()
    data = payload.decode(Event.objects.get(project=project).payload)
    assert "raw_stacktrace" not in data["exception"]["values"][0]


def test_a_project_member_can_upload(client, project, member):
    # The project fixture made `member` a plain member: uploading needs no admin role.
    assert upload(client, token_for(member), bundle_zip(), [project.slug]).json()["state"] == "ok"


def test_parsed_maps_are_evicted_least_recently_used_first_past_the_byte_bound(settings):
    settings.ARTIFACT_CACHE_BYTES = 250
    cache = sourcemaps.MapCache()
    for n in range(3):
        cache.put((n, None), sourcemaps.ParsedMap(None, None, 100))  # type: ignore[arg-type]
        cache.get((0, None))  # map 0 stays the most recently used
    assert cache.get((0, None)) is not None and cache.get((2, None)) is not None
    assert cache.get((1, None)) is None
    assert cache.size() == 200
    cache.put((9, None), sourcemaps.ParsedMap(None, None, 300))  # type: ignore[arg-type]
    assert cache.get((9, None)) is None  # larger than the whole cache: never kept
