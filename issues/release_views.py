"""The project's Releases tab: what sentry-cli created and what events reported."""

from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from core.http import AuthenticatedHttpRequest
from issues import releases
from issues.models import Release
from projects.access import project_member
from projects.models import Membership

SHOWN = 100


def release_query_url(slug: str, version: str) -> str:
    """The issue list searched for `release:"<version>"` (the search's own quoting)."""
    quoted = version.replace("\\", "\\\\").replace('"', '\\"')
    query = urlencode({"query": f'release:"{quoted}"'})
    return f"{reverse('issues:list', args=[slug])}?{query}"


@require_GET
@project_member
def release_list(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    project = membership.project
    rows = list(Release.objects.filter(project=project).order_by("-first_seen", "-id")[:SHOWN])
    stats = releases.stats(rows)
    deploys = releases.deploys_by_release(rows)
    shown = []
    for release in rows:
        latest: dict[str, object] = {}
        for deploy in deploys[release.pk]:  # newest first: keep each environment's latest
            latest.setdefault(deploy.environment, deploy)
        shown.append(
            {
                "release": release,
                "stats": stats[release.pk],
                "deploys": list(latest.values()),
                "issues_url": release_query_url(project.slug, release.version),
            }
        )
    return render(
        request,
        "issues/releases.html",
        {"project": project, "membership": membership, "releases": shown, "limit": SHOWN},
    )
