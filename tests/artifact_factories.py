"""Bundles as sentry-cli builds them (symbolic's SourceBundle zip: manifest.json + files/),
and the two-step upload (chunks, then assemble) through the Django test client."""

import gzip
import hashlib
import io
import json
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api_factories import auth

DEBUG_ID = "5f1b3c2a-9d4e-4f6a-8b7c-0123456789ab"
MINIFIED_URL = "~/static/app.min.js"
# A two-line "minified" file and its map: line 2 column 1 comes from src/checkout.js line 2.
MINIFIED = b"function a(){\nthrow new Error('boom')}\n"
SOURCE = (
    "function computeTotal(basket) {\n  return basket.items.reduce((s, i) => s + i.price, 0);\n}\n"
)
SOURCE_MAP = {
    "version": 3,
    "sources": ["../src/checkout.js"],
    "sourcesContent": [SOURCE],
    "names": ["computeTotal"],
    "mappings": "AAAAA;AACA",
}


def bundle_zip(
    files: dict[str, tuple[str, str, bytes, dict]] | None = None, **attributes: str
) -> bytes:
    """`{path: (type, url, content, headers)}`; by default a minified file and its map."""
    if files is None:
        files = {
            "_/_/static/app.min.js": ("minified_source", MINIFIED_URL, MINIFIED,
                                      {"debug-id": DEBUG_ID, "sourcemap": "app.min.js.map"}),
            "_/_/static/app.min.js.map": ("source_map", MINIFIED_URL + ".map",
                                          json.dumps(SOURCE_MAP).encode(), {"debug-id": DEBUG_ID}),
        }  # fmt: skip
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        manifest = {
            "files": {
                path: {"type": kind, "url": url, "headers": headers}
                for path, (kind, url, _, headers) in files.items()
            },
            "org": "bugtrack",
            **attributes,
        }
        zf.writestr("manifest.json", json.dumps(manifest))
        for path, (_, _, content, _) in files.items():
            zf.writestr(f"files/{path}", content)
    return buffer.getvalue()


def upload(client, token: str, data: bytes, projects: list[str], **extra):
    """Upload `data` as one gzip chunk, then assemble it; returns the assemble response."""
    checksum = hashlib.sha1(data).hexdigest()
    body = {"checksum": checksum, "chunks": [checksum], "projects": projects, **extra}
    path = "/api/0/organizations/bugtrack/artifactbundle/assemble/"
    first = client.post(path, body, content_type="application/json", headers=auth(token))
    if first.status_code != 200 or first.json()["state"] != "not_found":
        return first
    chunk = SimpleUploadedFile(checksum, gzip.compress(data))
    sent = client.post(
        "/api/0/organizations/bugtrack/chunk-upload/", {"file_gzip": chunk}, headers=auth(token)
    )
    if sent.status_code != 200:
        return sent
    return client.post(path, body, content_type="application/json", headers=auth(token))


def js_event(debug_id: str | None = DEBUG_ID, url: str = "http://localhost/static/app.min.js",
             **extra) -> dict:  # fmt: skip
    event = {
        "platform": "javascript",
        "exception": {"values": [{"type": "Error", "value": "boom", "stacktrace": {"frames": [
            {"filename": url, "function": "a", "lineno": 2, "colno": 1, "in_app": True}
        ]}}]},
        **extra,
    }  # fmt: skip
    if debug_id:
        event["debug_meta"] = {
            "images": [{"type": "sourcemap", "code_file": url, "debug_id": debug_id}]
        }
    return event
