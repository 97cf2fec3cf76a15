"""Sentry-style read API: one thin view per action; access checks live in api.access."""

from typing import Any

import orjson
from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from api import access, bulk, scopes, search, stats
from api import status as status_change
from api.auth import ApiRequest, api_view
from api.pagination import PaginationError, link_header, paginate
from api.responses import NOT_FOUND, error, json_response
from api.serializers import (
    comment_json,
    event_json,
    history_json,
    iso,
    issue_json,
    organization_json,
    project_detail_json,
    release_json,
)
from events.models import Event
from issues import assignment, comments, deletion, flags, merge, sorting, users
from issues.models import Comment, Issue, IssueUserFlags
from issues.search import SearchError
from projects.access import projects_for
from projects.models import Membership, Project

# The issue page shows the latest transitions; the full history is in the UI.
ACTIVITY_LIMIT = 100


def _paged(request: HttpRequest, rows: list, page) -> HttpResponse:
    return json_response(rows, headers={"Link": link_header(request, settings.BASE_URL, page)})


def _true(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


@api_view("GET")
def index(request: ApiRequest) -> HttpResponse:
    """What sentry-cli's `info` asks for: who the token belongs to."""
    user = request.api_user
    return json_response(
        {
            "version": "0",
            "auth": {"scopes": request.api_token.scopes},
            "user": {"id": str(user.pk), "username": user.get_username(), "email": user.email},
        }
    )


@api_view("GET", scopes={"GET": scopes.PROJECT_READ})
def organizations(request: ApiRequest) -> HttpResponse:
    # The installation has no creation date of its own; its first project's stands in.
    first = Project.objects.order_by("created_at").values_list("created_at", flat=True).first()
    return json_response([{**organization_json(), "dateCreated": iso(first or timezone.now())}])


@api_view("GET", scopes={"GET": scopes.PROJECT_READ})
def projects(request: ApiRequest, org_slug: str | None = None) -> HttpResponse:
    if org_slug is not None:
        access.check_org(org_slug)
    rows = projects_for(request.api_user).order_by("name", "pk")
    return json_response([project_detail_json(p) for p in rows])


def _parse_change(request: ApiRequest) -> status_change.StatusChange:
    try:
        body = orjson.loads(request.body or b"null")
    except orjson.JSONDecodeError:
        raise status_change.StatusError("The body must be JSON.") from None
    return status_change.parse(body)


@api_view("GET", "PUT", scopes={"GET": scopes.EVENT_READ, "PUT": scopes.EVENT_WRITE})
def project_issues(request: ApiRequest, org_slug: str, project_slug: str) -> HttpResponse:
    project = access.project_for(request.api_user, org_slug, project_slug)
    if request.method == "PUT":
        return _bulk_update(request, project)
    query = request.GET.get("query", search.DEFAULT_QUERY)
    period_name = request.GET.get("statsPeriod")
    sort = sorting.find(request.GET.get("sort", sorting.DEFAULT.name))
    if sort is None:
        return error(400, f"sort must be one of {', '.join(o.name for o in sorting.ORDERS)}.")
    try:
        period = search.parse_period(period_name or "")
        qs = search.filter_issues(
            Issue.objects.filter(project=project),
            query,
            period,
            environments=request.GET.getlist("environment"),
            user=request.api_user,
        )
        page = paginate(
            request,
            _with_workflow(
                users.with_user_count(qs.select_related("assigned_to")), request.api_user
            ).order_by(*sort.order_by),
        )
    except (SearchError, PaginationError) as exc:
        return error(400, str(exc))
    # Stats follow Sentry: a 24h series unless another one (or none, with "") is asked for.
    series_name = "24h" if period_name is None else period_name
    return _paged(request, _issue_rows(page.rows, project, series_name), page)


def _with_workflow(qs: QuerySet[Issue], user: User) -> QuerySet[Issue]:
    """`num_comments` and the token user's `bookmarked`, inside the list's own query."""
    counted = (
        Comment.objects.filter(issue=OuterRef("pk"))
        .order_by()
        .values("issue")
        .annotate(n=Count("id"))
        .values("n")
    )
    mine = IssueUserFlags.objects.filter(issue=OuterRef("pk"), user=user, bookmarked=True)
    return qs.annotate(num_comments=Coalesce(Subquery(counted), 0), bookmarked=Exists(mine))


def _issue_rows(issues: list[Any], project: Project, series_name: str) -> list[dict]:
    """`issues` carry the `user_count` annotation (`issues.users.with_user_count`)."""
    series = {}
    if series_name in stats.SERIES:
        series = stats.series([i.pk for i in issues], series_name)
    rows = []
    for issue in issues:
        issue.project = project  # all rows share it; saves a join
        data = series.get(issue.pk)
        rows.append(
            issue_json(issue, issue.user_count, {series_name: data} if data is not None else None)
        )
    return rows


def _body(request: ApiRequest) -> Any:
    try:
        return orjson.loads(request.body or b"null")
    except orjson.JSONDecodeError:
        return None


def _merge(request: ApiRequest, project: Project) -> HttpResponse:
    """Sentry's `{"merge": "1"}`: the picked issues become one (the one with most events)."""
    try:
        issues = bulk.select(project, request.GET, request.api_user)
        parent = merge.merge(project.pk, [i.pk for i in issues], request.api_user)
    except (SearchError, merge.MergeError) as exc:
        return error(400, str(exc))
    children = [str(i.pk) for i in issues if i.pk != parent.pk]
    return json_response({"merge": {"parent": str(parent.pk), "children": children}})


def _bulk_update(request: ApiRequest, project: Project) -> HttpResponse:
    body = _body(request)
    if isinstance(body, dict) and str(body.get("merge", "")).lower() in ("1", "true"):
        return _merge(request, project)
    try:
        change = _parse_change(request)
        issues = bulk.select(project, request.GET, request.api_user)
    except (status_change.StatusError, SearchError) as exc:
        return error(400, str(exc))
    if not issues:
        return HttpResponse(status=204)
    bulk.update(issues, change, request.api_user)
    return json_response(status_change.change_json(change))


def _issue_detail(request: ApiRequest, issue: Issue) -> HttpResponse:
    rows: Any = _with_workflow(  # annotated, which the stubs cannot see
        users.with_user_count(Issue.objects.filter(pk=issue.pk)), request.api_user
    )
    extra = rows.values_list("user_count", "num_comments", "bookmarked")
    user_count, num_comments, bookmarked = next(iter(extra), (0, 0, False))
    issue.num_comments = num_comments  # type: ignore[attr-defined]  # read by issue_json
    issue.bookmarked = bookmarked  # type: ignore[attr-defined]
    history = issue.history.select_related("user").order_by("-created_at", "-id")[:ACTIVITY_LIMIT]
    data = issue_json(issue, user_count, {"24h": stats.series([issue.pk], "24h")[issue.pk]})
    data["firstRelease"] = release_json(issue.first_release)
    data["lastRelease"] = release_json(issue.last_release)
    data["activity"] = [history_json(h) for h in history]
    return json_response(data)


def _workflow_change(request: ApiRequest, issue: Issue, body: dict) -> HttpResponse | None:
    """`assignedTo` (username, email or `user:<id>`; "" unassigns) and `isBookmarked`;
    a 400 response if one cannot be applied, else None."""
    if "assignedTo" in body:
        name = body["assignedTo"]
        if name is not None and not isinstance(name, str):
            return error(400, "assignedTo must be a username or an email address.")
        name = (name or "").strip()
        if name.startswith("user:") and name[5:].isdigit():
            member = Membership.objects.filter(project_id=issue.project_id, user_id=int(name[5:]))
            name = member.values_list("user__username", flat=True).first() or name
        try:
            assignee = assignment.find_member(issue, name)
        except assignment.AssignmentError as exc:
            return error(400, str(exc))
        assignment.assign(issue, assignee, request.api_user, actor="api")
    if "isBookmarked" in body:
        flags.set_flag(issue, request.api_user, "bookmarked", _true(str(body["isBookmarked"])))
    return None


@api_view(
    "GET",
    "PUT",
    "DELETE",
    scopes={"GET": scopes.EVENT_READ, "PUT": scopes.EVENT_WRITE, "DELETE": scopes.EVENT_WRITE},
)
def issue(request: ApiRequest, issue_id: str, org_slug: str | None = None) -> HttpResponse:
    if org_slug is not None:
        access.check_org(org_slug)
    found = access.issue_for(request.api_user, issue_id)
    if request.method == "DELETE":
        deletion.delete(found, request.api_user)  # the rest of its events go in the background
        return HttpResponse(status=202)
    if request.method == "PUT":
        body = _body(request)
        workflow = isinstance(body, dict) and ("assignedTo" in body or "isBookmarked" in body)
        if workflow and (refused := _workflow_change(request, found, body)) is not None:
            return refused
        if not workflow or "status" in body:
            try:
                change = _parse_change(request)
            except status_change.StatusError as exc:
                return error(400, str(exc))
            status_change.apply(found, change, request.api_user)
        found = access.issue_for(request.api_user, str(found.pk))
    return _issue_detail(request, found)


@api_view("GET", "POST", scopes={"GET": scopes.EVENT_READ, "POST": scopes.EVENT_WRITE})
def issue_comments(request: ApiRequest, issue_id: str, org_slug: str | None = None) -> HttpResponse:
    """Sentry's notes: GET lists them oldest first, POST `{"text": ...}` adds one (201)."""
    if org_slug is not None:
        access.check_org(org_slug)
    found = access.issue_for(request.api_user, issue_id)
    if request.method == "POST":
        body = _body(request)
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str):
            return error(400, "text is required.")
        try:
            comment = comments.add(found, request.api_user, text)
        except comments.CommentError as exc:
            return error(400, str(exc))
        comment.author = request.api_user
        return json_response(comment_json(comment), status=201)
    rows = found.comments.select_related("author").order_by("created_at", "id")[:1000]
    return json_response([comment_json(c) for c in rows])


@api_view("PUT", "DELETE", scopes={"PUT": scopes.EVENT_WRITE, "DELETE": scopes.EVENT_WRITE})
def issue_comment(
    request: ApiRequest, issue_id: str, comment_id: str, org_slug: str | None = None
) -> HttpResponse:
    """An author's own comment: PUT `{"text": ...}` edits it, DELETE (204) removes it."""
    if org_slug is not None:
        access.check_org(org_slug)
    found = access.issue_for(request.api_user, issue_id)
    comment = (
        found.comments.select_related("author").filter(pk=int(comment_id)).first()
        if comment_id.isdigit() and len(comment_id) <= access.MAX_DIGITS
        else None
    )
    if comment is None:
        return error(404, NOT_FOUND)
    try:
        if request.method == "DELETE":
            comments.delete(comment, request.api_user)
            return HttpResponse(status=204)
        body = _body(request)
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str):
            return error(400, "text is required.")
        comments.edit(comment, request.api_user, text)
    except PermissionError:
        return error(403, "Only its author can change a comment.")
    except comments.CommentError as exc:
        return error(400, str(exc))
    return json_response(comment_json(comment))


@api_view("GET", scopes={"GET": scopes.EVENT_READ})
def issue_events(request: ApiRequest, issue_id: str, org_slug: str | None = None) -> HttpResponse:
    if org_slug is not None:
        access.check_org(org_slug)
    found = access.issue_for(request.api_user, issue_id)
    qs = Event.objects.filter(issue=found).order_by("-received_at", "-id")
    try:
        page = paginate(request, qs)
    except PaginationError as exc:
        return error(400, str(exc))
    full = _true(request.GET.get("full"))
    return _paged(request, [event_json(e, found, full=full) for e in page.rows], page)


@api_view("GET", scopes={"GET": scopes.EVENT_READ})
def issue_latest_event(
    request: ApiRequest, issue_id: str, org_slug: str | None = None
) -> HttpResponse:
    if org_slug is not None:
        access.check_org(org_slug)
    found = access.issue_for(request.api_user, issue_id)
    event = Event.objects.filter(issue=found).order_by("-received_at", "-id").first()
    if event is None:
        return error(404, NOT_FOUND)
    return json_response(event_json(event, found))


@api_view("GET", scopes={"GET": scopes.EVENT_READ})
def project_events(request: ApiRequest, org_slug: str, project_slug: str) -> HttpResponse:
    """A project's events, newest first; retention bounds how many a project has."""
    project = access.project_for(request.api_user, org_slug, project_slug)
    qs = Event.objects.filter(project=project).select_related("issue")
    try:
        page = paginate(request, qs.order_by("-received_at", "-id"))
    except PaginationError as exc:
        return error(400, str(exc))
    full = _true(request.GET.get("full"))
    return _paged(request, [event_json(e, e.issue, full=full) for e in page.rows], page)


@api_view("GET", scopes={"GET": scopes.EVENT_READ})
def project_event(
    request: ApiRequest, org_slug: str, project_slug: str, event_id: str
) -> HttpResponse:
    project = access.project_for(request.api_user, org_slug, project_slug)
    event = access.event_for(project, event_id)
    return json_response(event_json(event, event.issue))


@api_view("GET", "PUT", "POST", "DELETE", "PATCH")
def not_found(request: HttpRequest, rest: str) -> HttpResponse:
    """Unknown API paths answer in JSON too, and only to authenticated callers."""
    return error(404, NOT_FOUND)
