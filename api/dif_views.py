"""sentry-cli's `debug-files upload`: assemble debug files from chunks, and list them."""

import orjson
from django.conf import settings
from django.db.models import Q
from django.http import HttpResponse

from api import access
from api.auth import ApiRequest, api_view
from api.pagination import PaginationError, link_header, paginate
from api.responses import error, json_response
from api.serializers import iso
from artifacts import debug_files
from artifacts.errors import UploadRefused
from artifacts.models import DebugFile

WRITE = "project:releases"
READ = "project:read"


def dif_json(row: DebugFile) -> dict:
    """Sentry's `DebugFileSerializer` (sentry-cli reads uuid/debugId, objectName, cpuName)."""
    return {
        "id": str(row.pk),
        "uuid": row.debug_id[:36],
        "debugId": row.debug_id,
        "codeId": row.code_id or None,
        "cpuName": row.cpu_name,
        "objectName": row.object_name,
        "symbolType": row.file_format,
        "headers": {"Content-Type": "application/octet-stream"},
        "size": row.file_size,
        "sha1": row.checksum,
        "dateCreated": iso(row.created_at),
        "data": {"type": row.kind, "features": row.features},
    }


@api_view("POST", scopes={"POST": WRITE})
def assemble_difs(request: ApiRequest, org_slug: str, project_slug: str) -> HttpResponse:
    project = access.project_for(request.api_user, org_slug, project_slug)
    try:
        wanted = debug_files.parse_request(orjson.loads(request.body or b"null"))
        states = debug_files.assemble(project, wanted)
    except orjson.JSONDecodeError:
        return error(400, "The body must be JSON.")
    except UploadRefused as exc:
        return error(exc.status, str(exc))
    return json_response({
        checksum: {
            "state": s.state,
            "missingChunks": s.missing_chunks,
            "detail": None,
            "dif": dif_json(s.dif) if s.dif else None,
        }
        for checksum, s in states.items()
    })  # fmt: skip


@api_view("GET", scopes={"GET": READ})
def list_difs(request: ApiRequest, org_slug: str, project_slug: str) -> HttpResponse:
    """The project's debug files, newest first; `debug_id`, `code_id` or `query` filter."""
    project = access.project_for(request.api_user, org_slug, project_slug)
    qs = DebugFile.objects.filter(project=project).defer("content")
    if debug_id := request.GET.get("debug_id"):
        qs = qs.filter(debug_id=debug_id.lower())
    if code_id := request.GET.get("code_id"):
        qs = qs.filter(code_id=code_id.lower())
    if query := request.GET.get("query"):
        qs = qs.filter(
            Q(debug_id__startswith=query.lower())
            | Q(code_id__startswith=query.lower())
            | Q(object_name__icontains=query)
        )
    try:
        page = paginate(request, qs.order_by("-created_at", "-id"))
    except PaginationError as exc:
        return error(400, str(exc))
    headers = {"Link": link_header(request, settings.BASE_URL, page)}
    return json_response([dif_json(row) for row in page.rows], headers=headers)
