"""Health and metrics endpoints: public (health) or token-protected (metrics), never sessions."""

import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from ops import health, metrics


@login_not_required
@never_cache
@require_safe
def live(request: HttpRequest) -> JsonResponse:
    """The process answers; touches nothing else."""
    return JsonResponse({"status": "ok"})


@login_not_required
@never_cache
@require_safe
def ready(request: HttpRequest) -> JsonResponse:
    ok, checks = health.readiness()
    return JsonResponse(
        {"status": "ok" if ok else "fail", "checks": checks}, status=200 if ok else 503
    )


@login_not_required
@never_cache
@require_safe
def prometheus(request: HttpRequest) -> HttpResponse:
    """Prometheus text. Without METRICS_TOKEN the endpoint does not exist (404)."""
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404("metrics are disabled")
    supplied = request.headers.get("Authorization", "")
    if not hmac.compare_digest(supplied.encode(), f"Bearer {token}".encode()):
        response = JsonResponse({"detail": "a valid bearer token is required"}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics.render(), content_type=CONTENT_TYPE_LATEST)
