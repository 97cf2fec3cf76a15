"""The setup page's "send a test event" button (the page itself is `projects:setup`)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from core.http import AuthenticatedHttpRequest
from ingest.errors import RateLimited
from ingest.sample_event import enqueue_test_event
from projects.access import project_member
from projects.models import Membership


@require_POST
@project_member
def send_test_event(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    project = membership.project
    try:
        enqueue_test_event(project, request.user)
    except RateLimited:
        messages.error(request, "This project is over its rate limit; try again in a minute.")
        return redirect("projects:setup", project.slug)
    messages.success(
        request,
        "A test event was queued. It appears in the issue list as soon as the worker has "
        "processed it, usually within seconds.",
    )
    return redirect("issues:list", project.slug)
