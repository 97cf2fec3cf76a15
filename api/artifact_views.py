"""sentry-cli's upload protocol: chunk-upload options and chunks, then assemble (bundles here,
debug files in api/dif_views.py)."""

import orjson
from django.conf import settings
from django.http import Http404, HttpResponse

from api import access
from api.auth import ApiRequest, api_view
from api.responses import error, json_response
from artifacts import chunks
from artifacts.assemble import assemble
from artifacts.errors import UploadRefused
from projects.access import projects_for

WRITE = "project:releases"


def options_json(org_slug: str) -> dict:
    """What sentry-cli reads before uploading; `accept` names only what we implement."""
    largest = max(settings.ARTIFACT_MAX_BUNDLE_BYTES, settings.ARTIFACT_MAX_DEBUG_FILE_BYTES)
    return {
        "url": f"{settings.BASE_URL}/api/0/organizations/{org_slug}/chunk-upload/",
        "chunkSize": settings.ARTIFACT_MAX_CHUNK_BYTES,
        "chunksPerRequest": chunks.CHUNKS_PER_REQUEST,
        "maxFileSize": largest,  # a bundle or a debug file
        "maxRequestSize": chunks.max_request_bytes(),
        "concurrency": 2,
        "hashAlgorithm": "sha1",
        "compression": ["gzip"],
        "accept": ["artifact_bundles", "artifact_bundles_v2", "debug_files"],
    }


@api_view("GET", "POST", scopes={"GET": WRITE, "POST": WRITE})
def chunk_upload(request: ApiRequest, org_slug: str) -> HttpResponse:
    access.check_org(org_slug)
    if request.method == "GET":
        return json_response(options_json(org_slug))
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > chunks.max_request_bytes():
        return error(413, f"A chunk request may carry at most {chunks.max_request_bytes()} bytes.")
    parts = []
    for field, files in request.FILES.lists():
        for upload in files:
            if (upload.size or 0) > settings.ARTIFACT_MAX_CHUNK_BYTES:
                return error(
                    413, f"A chunk may be at most {settings.ARTIFACT_MAX_CHUNK_BYTES} bytes."
                )
            parts.append((field, upload.name or "", upload.read()))
    if len(parts) > chunks.CHUNKS_PER_REQUEST:
        return error(400, f"At most {chunks.CHUNKS_PER_REQUEST} chunks per request.")
    try:
        chunks.store(parts)
    except UploadRefused as exc:
        return error(exc.status, str(exc))
    return HttpResponse(status=200)


@api_view("POST", scopes={"POST": WRITE})
def assemble_bundle(request: ApiRequest, org_slug: str) -> HttpResponse:
    access.check_org(org_slug)
    try:
        body = orjson.loads(request.body or b"null")
    except orjson.JSONDecodeError:
        return error(400, "The body must be JSON.")
    if not isinstance(body, dict):
        return error(400, "The body must be a JSON object.")
    names = body.get("projects")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        return error(400, "projects must name at least one project.")
    mine = {p.slug: p for p in projects_for(request.api_user)}
    if any(n not in mine for n in names):
        raise Http404  # another project, or none: never say which
    version, dist = body.get("version") or "", body.get("dist") or ""
    if not isinstance(version, str) or not isinstance(dist, str):
        return error(400, "version and dist must be strings.")
    try:
        result = assemble([mine[n] for n in dict.fromkeys(names)], body.get("checksum"),
                          body.get("chunks"), version, dist)  # fmt: skip
    except UploadRefused as exc:
        return error(exc.status, str(exc))
    return json_response(result.as_json())
