"""Issue pages: lists, the issue page, status actions and the raw event download."""

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlencode

import orjson
from django.contrib import messages
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.event_ids import normalize_event_id
from core.http import AuthenticatedHttpRequest
from events import breadcrumbs, presenters
from events.models import Event
from events.payload import decode
from issues import (
    assignment,
    charts,
    environments,
    event_listing,
    flags,
    lifecycle,
    listing,
    merge,
    short_ids,
    tags,
    users,
    why_grouped,
)
from issues.access import issue_member
from issues.models import GroupingHash, Issue
from issues.release_views import release_query_url
from projects.access import project_member, projects_for
from projects.models import Membership, Project

# Ignore choices offered on the issue page and in bulk: (duration, more events).
IGNORE_CHOICES: dict[str, tuple[timedelta | None, int | None]] = {
    "forever": (None, None),
    "1h": (timedelta(hours=1), None),
    "24h": (timedelta(hours=24), None),
    "100": (None, 100),
}
HISTORY_SHOWN = 50


def _list_query(request: HttpRequest) -> str:
    keep = {k: request.POST.get(k, "") for k in ("tab", "query", "sort", "page", "environment")}
    return urlencode({k: v for k, v in keep.items() if v})


@require_GET
def all_issues(request: AuthenticatedHttpRequest) -> HttpResponse:
    projects = list(projects_for(request.user))
    result = listing.build(Issue.objects.filter(project__in=projects), request.GET, request.user)
    return render(
        request,
        "issues/all.html",
        {"listing": result, "projects": projects, "list_url": reverse("issues:all")},
    )


@require_GET
@project_member
def issue_list(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    project = membership.project
    result = listing.build(Issue.objects.filter(project=project), request.GET, request.user)
    scope = environments.scope(project.pk, result.environment)
    setup = None
    if not result.page.object_list and not Issue.objects.filter(project=project).exists():
        key = project.keys.filter(is_active=True).first()
        setup = {"dsn": key.dsn() if key else ""}
    return render(
        request,
        "issues/list.html",
        {
            "project": project,
            "membership": membership,
            "listing": result,
            "setup": setup,
            "scope": scope,
            "list_url": reverse("issues:list", args=[project.slug]),
            "members": project.memberships.select_related("user").order_by("user__username"),
        },
    )


@require_POST
@project_member
def bulk(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    project = membership.project
    action = request.POST.get("action")
    ids = [i for i in request.POST.getlist("issue") if i.isdigit()]
    url = reverse("issues:list", args=[project.slug])
    query = _list_query(request)
    back = HttpResponseRedirect(f"{url}?{query}" if query else url)
    if action == "merge":
        try:
            parent = merge.merge(project.pk, [int(i) for i in ids], request.user)
        except merge.MergeError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Merged {len(set(ids))} issues into {parent.short_code}.")
        return back
    if action == "assign":
        return _bulk_assign(request, project, ids, back)
    if action not in ("resolve", "ignore", "unresolve"):
        return HttpResponse("Unknown action.", status=400)
    transitions: dict[str, Callable[..., object]] = {
        "resolve": lifecycle.resolve,
        "ignore": lifecycle.ignore,
        "unresolve": lifecycle.unresolve,
    }
    transition = transitions[action]
    issues = list(Issue.objects.filter(project=project, pk__in=ids[:500]))
    for issue in issues:
        transition(issue, user=request.user)
    messages.success(request, f"{action.capitalize()}d {len(issues)} issue(s).")
    return back


def _bulk_assign(
    request: AuthenticatedHttpRequest, project: Project, ids: list[str], back: HttpResponse
) -> HttpResponse:
    issues = list(Issue.objects.filter(project=project, pk__in=ids[:500]).order_by("pk"))
    try:
        assignee = (
            assignment.find_member(issues[0], request.POST.get("assignee", "")) if issues else None
        )
    except assignment.AssignmentError as exc:
        messages.error(request, str(exc))
        return back
    changed = sum(assignment.assign(issue, assignee, request.user) for issue in issues)
    messages.success(request, f"Assigned {changed} issue(s).")
    return back


def _events_in(issue: Issue, environment: str) -> QuerySet[Event]:
    """The issue's events, in the chosen environment if there is one."""
    events = Event.objects.filter(issue=issue)
    return events.filter(environment=environment) if environment else events


def _pick_event(issue: Issue, event_id: str, environment: str = "") -> Event | None:
    """The asked-for event (whatever its environment), else the newest in the environment."""
    if event_id:
        events = Event.objects.filter(issue=issue, project_id=issue.project_id)
        return events.filter(event_id=event_id).first()
    return _events_in(issue, environment).order_by("-received_at", "-id").first()


def _neighbours(issue: Issue, event: Event, environment: str = "") -> dict[str, str | None]:
    """Event ids of the oldest, previous, next and newest events, ordered by arrival, within
    the chosen environment."""
    events = _events_in(issue, environment)
    at, pk = event.received_at, event.pk
    older = Q(received_at__lt=at) | Q(received_at=at, id__lt=pk)
    newer = Q(received_at__gt=at) | Q(received_at=at, id__gt=pk)

    def first(qs, *order: str) -> str | None:
        return qs.order_by(*order).values_list("event_id", flat=True).first()

    prev = first(events.filter(older), "-received_at", "-id")
    nxt = first(events.filter(newer), "received_at", "id")
    return {
        "oldest": first(events, "received_at", "id") if prev else None,
        "prev": prev,
        "next": nxt,
        "newest": first(events, "-received_at", "-id") if nxt else None,
    }


def _wanted_event_id(request: HttpRequest) -> str:
    """`?event=` as stored, or "" for the newest; a malformed id is said and then ignored."""
    raw = request.GET.get("event", "").strip()  # pasted ids often carry spaces
    if not raw:
        return ""
    wanted = normalize_event_id(raw)
    if wanted is None:
        messages.error(request, "An event id is 32 hexadecimal digits.")
        return ""
    return wanted


def _kept(scope: environments.Scope, chart_range: charts.Range) -> str:
    """What links within the issue page keep: the environment, and a range not the default."""
    kept = {"environment": scope.environment}
    if chart_range != charts.DEFAULT_RANGE:
        kept["range"] = chart_range.key
    return urlencode({k: v for k, v in kept.items() if v})


@require_GET
@issue_member
def issue_detail(
    request: AuthenticatedHttpRequest, membership: Membership, issue: Issue
) -> HttpResponse:
    wanted = _wanted_event_id(request)
    scope = environments.scope(issue.project_id, request.GET.get("environment", ""))
    event = _pick_event(issue, wanted, scope.environment)
    if wanted and event is None:
        messages.error(request, "This issue has no event with that id.")
        event = _pick_event(issue, "", scope.environment)
    shown = crumbs = None
    if event is not None:
        try:
            payload = decode(event.payload)
        except Exception:  # a damaged payload must not take the page down
            payload = {}
        shown = presenters.present_event(payload)
        crumbs = breadcrumbs.present(payload, event.timestamp)
    # The newest entries only: an issue that regressed often must not grow the page.
    recent = issue.history.select_related("user").order_by("-created_at", "-id")[:HISTORY_SHOWN]
    history = list(reversed(recent))
    members = membership.project.memberships.select_related("user").order_by("user__username")
    chart_range = charts.pick_range(request.GET.get("range", ""))
    if scope.environment:
        counts = environments.counts_in(issue.pk, scope.environment)
    else:  # the issue's total ever, and the users of its stored events (tag counts)
        counts = environments.Counts(issue.event_count, users.user_count(issue))
    return render(
        request,
        "issues/detail.html",
        {
            "project": membership.project,
            "membership": membership,
            "issue": issue,
            "event": event,
            "shown": shown,
            "crumbs": crumbs,
            "why_grouped": why_grouped.sentence(issue.grouping_components),
            "grouping_rows": why_grouped.rows(issue.grouping_components),
            "nav": _neighbours(issue, event, scope.environment) if event else {},
            "chart": charts.issue_chart(issue.pk, chart_range, scope.environment),
            "chart_range": chart_range,
            "keep": _kept(scope, chart_range),
            "ranges": charts.RANGES.values(),
            "scope": scope,
            "counts": counts,
            "tag_panel": tags.tag_panel(issue.pk, environment=scope.environment),
            "env_read": environments.EVENTS_READ if counts.events > environments.EVENTS_READ else 0,
            "history": history,
            "release_urls": {
                version: release_query_url(issue.project.slug, version)
                for version in (issue.first_release, issue.last_release)
                if version
            },
            "members": members,
            "comments": issue.comments.select_related("author").order_by("created_at", "id"),
            "my_flags": flags.flags_of(issue, request.user),
        },
    )


@require_GET
@project_member
def issue_by_short_id(
    request: AuthenticatedHttpRequest, membership: Membership, short_code: str
) -> HttpResponse:
    """`…/issues/SHOP-2/` redirects to the issue page, keeping the query string."""
    issue = short_ids.find(membership.project, short_code)
    if issue is None:
        raise Http404
    query = request.GET.urlencode()
    return HttpResponseRedirect(
        f"{issue.get_absolute_url()}?{query}" if query else issue.get_absolute_url()
    )


@require_GET
@issue_member
def issue_events(
    request: AuthenticatedHttpRequest, membership: Membership, issue: Issue
) -> HttpResponse:
    return render(
        request,
        "issues/events.html",
        {
            "project": membership.project,
            "membership": membership,
            "issue": issue,
            "events": event_listing.build(issue, request.GET),
        },
    )


def _back(issue: Issue) -> HttpResponse:
    return redirect("issues:detail", issue.project.slug, issue.pk)


@require_POST
@issue_member
def resolve(
    request: AuthenticatedHttpRequest, membership: Membership, issue: Issue
) -> HttpResponse:
    lifecycle.resolve(issue, user=request.user)
    return _back(issue)


@require_POST
@issue_member
def resolve_next_release(
    request: AuthenticatedHttpRequest, membership: Membership, issue: Issue
) -> HttpResponse:
    lifecycle.resolve_in_next_release(issue, user=request.user)
    return _back(issue)


@require_POST
@issue_member
def ignore(request: AuthenticatedHttpRequest, membership: Membership, issue: Issue) -> HttpResponse:
    choice = IGNORE_CHOICES.get(request.POST.get("until", "forever"))
    if choice is None:
        return HttpResponse("Unknown ignore choice.", status=400)
    lifecycle.ignore(issue, user=request.user, duration=choice[0], more_events=choice[1])
    return _back(issue)


@require_POST
@issue_member
def unresolve(
    request: AuthenticatedHttpRequest, membership: Membership, issue: Issue
) -> HttpResponse:
    lifecycle.unresolve(issue, user=request.user)
    return _back(issue)


@require_GET
@issue_member
def event_json(
    request: AuthenticatedHttpRequest, membership: Membership, issue: Issue, event_id: str
) -> HttpResponse:
    stored_id = normalize_event_id(event_id)
    event = (
        Event.objects.filter(project_id=issue.project_id, issue=issue, event_id=stored_id).first()
        if stored_id
        else None
    )
    if event is None:
        raise Http404
    try:
        body = orjson.dumps(decode(event.payload), option=orjson.OPT_INDENT_2)
    except Exception:
        body = bytes(event.payload)  # not decodable: hand back what is stored
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="event-{event.event_id}.json"'
    return response


@require_GET
@issue_member
def merged(request: AuthenticatedHttpRequest, membership: Membership, issue: Issue) -> HttpResponse:
    """The "Merged" tab: the issue's grouping hashes with their stored events, to unmerge."""
    per_hash = dict(
        Event.objects.filter(issue=issue)
        .values_list("grouping_hash")
        .annotate(n=Count("id"))
        .values_list("grouping_hash", "n")
    )
    per_hash[issue.grouping_hash] = per_hash.get(issue.grouping_hash, 0) + per_hash.pop("", 0)
    hashes = [
        (h, per_hash.get(h, 0))
        for h in GroupingHash.objects.filter(issue=issue)
        .order_by("hash")
        .values_list("hash", flat=True)
    ]
    return render(
        request,
        "issues/merged.html",
        {"project": membership.project, "membership": membership, "issue": issue, "hashes": hashes},
    )
