"""Placeholder until the ingest endpoint lands."""

from django.http import HttpRequest, JsonResponse


def ingest(request: HttpRequest, project_id: int, endpoint: str) -> JsonResponse:
    return JsonResponse({"detail": "not implemented"}, status=501)
