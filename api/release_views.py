"""Releases, deploys and commits for sentry-cli: thin views over issues.releases."""

from datetime import datetime

import orjson
from django.conf import settings
from django.db.models import Min
from django.http import Http404, HttpResponse

from api import access
from api.auth import ApiRequest, api_view
from api.pagination import PaginationError, link_header, paginate
from api.release_json import deploy_json, release_json
from api.responses import error, json_response
from api.serializers import iso
from issues import releases
from issues.models import Release, ReleaseCommit
from projects.access import projects_for
from projects.models import Project

READ, WRITE = "project:read", "project:releases"


def _body(request: ApiRequest) -> dict:
    try:
        body = orjson.loads(request.body or b"{}")
    except orjson.JSONDecodeError:
        raise releases.ReleaseError("The body must be JSON.") from None
    if not isinstance(body, dict):
        raise releases.ReleaseError("The body must be a JSON object.")
    return body


def _date(body: dict, key: str) -> datetime | None:
    value = body.get(key)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise releases.ReleaseError(f"{key} must be an ISO 8601 date.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.now().astimezone().tzinfo)


def _text(body: dict, key: str, limit: int) -> str | None:
    value = body.get(key)
    return value[:limit] if isinstance(value, str) else None


def _projects_named(request: ApiRequest, names: object) -> list[Project]:
    """Projects by slug or id among the caller's own; any other name is a 404."""
    if not isinstance(names, list) or not names:
        raise releases.ReleaseError("projects must be a non-empty list of project slugs.")
    mine = list(projects_for(request.api_user))
    out = []
    for name in names:
        found = next((p for p in mine if p.slug == str(name) or str(p.pk) == str(name)), None)
        if found is None:
            raise Http404
        if found not in out:
            out.append(found)
    return out


def _rows(request: ApiRequest, version: str) -> list[Release]:
    rows = list(
        Release.objects.filter(project__in=projects_for(request.api_user), version=version)
        .select_related("project")
        .order_by("project__slug")
    )
    if not rows:
        raise Http404
    return rows


def _one(version: str, rows: list[Release]) -> dict:
    return release_json(version, rows, releases.stats(rows), releases.deploys_by_release(rows))


def _commits(body: dict) -> list[releases.CommitInput] | None:
    """`refs` (head commits per repository) and `commits` as sentry-cli sends them."""
    if body.get("refs") is None and body.get("commits") is None:
        return None
    out = []
    for ref in body.get("refs") or []:
        if isinstance(ref, dict) and isinstance(ref.get("commit"), str):
            out.append(releases.CommitInput(
                commit=ref["commit"][:64], repository=str(ref.get("repository") or "")[:250],
                previous_commit=str(ref.get("previousCommit") or "")[:64], is_ref=True,
            ))  # fmt: skip
    for commit in body.get("commits") or []:
        if isinstance(commit, dict) and isinstance(commit.get("id"), str):
            stamp = _date(commit, "timestamp")
            out.append(releases.CommitInput(
                commit=commit["id"][:64], repository=str(commit.get("repository") or "")[:250],
                message=str(commit.get("message") or "")[:10000],
                author_name=str(commit.get("author_name") or "")[:250],
                author_email=str(commit.get("author_email") or "")[:250], timestamp=stamp,
            ))  # fmt: skip
    return out


@api_view("GET", "POST", scopes={"GET": READ, "POST": WRITE})
def release_list(
    request: ApiRequest, org_slug: str, project_slug: str | None = None
) -> HttpResponse:
    if project_slug is None:
        access.check_org(org_slug)
        projects = projects_for(request.api_user)
    else:
        projects = Project.objects.filter(pk=access.project_for(request.api_user, org_slug,
                                                                project_slug).pk)  # fmt: skip
    if request.method == "POST":
        return _create(request)
    versions = (
        Release.objects.filter(project__in=projects)
        .values("version")
        .annotate(created=Min("created_at"))
        .order_by("-created", "version")
    )
    query = request.GET.get("query")
    if query:
        versions = versions.filter(version__icontains=query)
    try:
        page = paginate(request, versions)
    except PaginationError as exc:
        return error(400, str(exc))
    names = [row["version"] for row in page.rows]
    rows = list(
        Release.objects.filter(project__in=projects, version__in=names).select_related("project")
    )
    stats, deploys = releases.stats(rows), releases.deploys_by_release(rows)
    body = [release_json(v, [r for r in rows if r.version == v], stats, deploys) for v in names]
    return json_response(body, headers={"Link": link_header(request, settings.BASE_URL, page)})


def _create(request: ApiRequest) -> HttpResponse:
    try:
        body = _body(request)
        version = releases.check_version(body.get("version"))
        projects = _projects_named(request, body.get("projects"))
        rows = releases.ensure(
            projects,
            version,
            url=_text(body, "url", 1000) or "",
            ref=_text(body, "ref", 250) or "",
            date_released=_date(body, "dateReleased"),
        )
        commits = _commits(body)
    except releases.ReleaseError as exc:
        return error(400, str(exc))
    if commits is not None:
        releases.set_commits(rows, commits)
    return json_response(_one(version, _rows(request, version)), status=201)


@api_view("GET", "PUT", "DELETE", scopes={"GET": READ, "PUT": WRITE, "DELETE": WRITE})
def release_detail(request: ApiRequest, org_slug: str, version: str) -> HttpResponse:
    access.check_org(org_slug)
    rows = _rows(request, version)
    if request.method == "DELETE":
        Release.objects.filter(pk__in=[r.pk for r in rows]).delete()
        return HttpResponse(status=204)
    if request.method == "PUT":
        try:
            body = _body(request)
            releases.update(
                rows, url=_text(body, "url", 1000), ref=_text(body, "ref", 250),
                date_released=_date(body, "dateReleased"),
            )  # fmt: skip
            commits = _commits(body)
        except releases.ReleaseError as exc:
            return error(400, str(exc))
        if commits is not None:
            releases.set_commits(rows, commits)
    return json_response(_one(version, rows))


@api_view("GET", "POST", scopes={"GET": READ, "POST": WRITE})
def deploys(request: ApiRequest, org_slug: str, version: str) -> HttpResponse:
    access.check_org(org_slug)
    rows = _rows(request, version)
    if request.method == "POST":
        try:
            body = _body(request)
            environment = _text(body, "environment", 64)
            if not environment:
                raise releases.ReleaseError("environment is required.")
            if body.get("projects"):
                wanted = {p.pk for p in _projects_named(request, body["projects"])}
                rows = [r for r in rows if r.project_id in wanted]
            made = releases.add_deploy(
                rows, environment, name=_text(body, "name", 250) or "",
                url=_text(body, "url", 1000) or "", date_started=_date(body, "dateStarted"),
                date_finished=_date(body, "dateFinished"),
            )  # fmt: skip
        except releases.ReleaseError as exc:
            return error(400, str(exc))
        if not made:
            raise Http404
        return json_response(deploy_json(made[0]), status=201)
    listed = releases.deploys_by_release(rows)
    every = sorted((d for ds in listed.values() for d in ds), key=lambda d: d.date_finished,
                   reverse=True)  # fmt: skip
    return json_response([deploy_json(d) for d in every])


@api_view("GET", scopes={"GET": READ})
def commits(request: ApiRequest, org_slug: str, version: str) -> HttpResponse:
    access.check_org(org_slug)
    rows = _rows(request, version)
    seen = set()
    out = []
    for c in ReleaseCommit.objects.filter(release__in=rows, is_ref=False).order_by("id"):
        if c.commit in seen:
            continue
        seen.add(c.commit)
        out.append({
            "id": c.commit, "message": c.message or None, "dateCreated": iso(c.timestamp),
            "repository": {"name": c.repository} if c.repository else None,
            "author": {"name": c.author_name, "email": c.author_email} if c.author_email else None,
        })  # fmt: skip
    return json_response(out)


@api_view("GET", scopes={"GET": READ})
def repos(request: ApiRequest, org_slug: str) -> HttpResponse:
    """No repository integrations: set-commits works with `--local` or explicit refs."""
    access.check_org(org_slug)
    return json_response([])
