"""User input that reaches a query: NUL, overlong values and invalid UTF-8 never give a 5xx.

Every URL pattern of the URLconf is swept (new views are covered without editing this file):
each path parameter and each query parameter the code reads gets each hostile value, with
the methods the view may accept. The API must answer in JSON whatever happens.
"""

import re
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from issues.models import Issue
from projects.models import Membership
from tests.api_factories import auth, token_for
from tests.issue_factories import make_event, make_issue

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
APPS = ["core", "projects", "accounts", "ingest", "events", "issues", "alerts", "digest", "api",
        "ops", "bugtrack"]  # fmt: skip
# In path parts and in query values; numbers past any key size for the numeric parameters.
HOSTILE = ["a%00b", "%ff%fe", "x" * 5000]
HOSTILE_PATH = [*HOSTILE, "%00", "9" * 40]


def patterns(resolvers=None, prefix: str = "") -> list[tuple[str, URLPattern]]:
    """(route, pattern) for every view in the URLconf, include()s flattened."""
    found = []
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += patterns(entry.url_patterns, route)
        else:
            found.append((route, entry))
    return found


def query_parameters() -> list[str]:
    """Every query parameter name the apps read (`GET.get("…")`, `params.getlist("…")`)."""
    names = {"query", "environment", "cursor", "per_page", "statsPeriod", "sort", "page"}
    read = re.compile(r"""(?:GET|params)(?:\.get|\.getlist|\[)\(?\s*["'](\w+)["']""")
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            names.update(read.findall(path.read_text()))
    return sorted(names)


PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>|\(\?P<(?P<rname>\w+)>[^)]*\)")


def fill(route: str, values: dict[str, str], hostile: tuple[str, str] | None = None) -> str:
    """The route with each parameter replaced by its valid value, or one by a hostile one."""

    def value(match: re.Match) -> str:
        name = match["name"] or match["rname"]
        if hostile and hostile[0] == name:
            return hostile[1]
        return values.get(name, "x")

    path = PARAM.sub(value, route).lstrip("^").rstrip("$")
    return "/" + path


def route_params(route: str) -> list[str]:
    return [m["name"] or m["rname"] for m in PARAM.finditer(route)]


ROUTES = patterns()


@pytest.fixture
def world(client, project, owner):
    """A project with an issue, an event, a key and members; the owner signed in."""
    issue = make_issue(project)
    event = make_event(issue)
    client.force_login(owner)
    return {
        "slug": project.slug,
        "project_slug": project.slug,
        "org_slug": "bugtrack",
        "pk": str(issue.pk),
        "issue_id": str(issue.pk),
        "event_id": event.event_id,
        "key_id": str(project.keys.first().pk),
        "member_id": str(Membership.objects.filter(project=project).last().pk),
        "token": "0" * 43,
        "uidb64": "MQ",
        "rest": "nothing/here/",
        "api_token": token_for(owner),
    }


def problems(client, world, route: str, method: str) -> list[str]:
    client.raise_request_exception = False  # a 500 is a finding here, not an exception
    headers = auth(world["api_token"]) if route.startswith("api/") else {}
    call = getattr(client, method.lower())
    kwargs = {"content_type": "application/json", "data": "{}"} if method == "PUT" else {}
    base = fill(route, world)
    if call(base, headers=headers, **kwargs).status_code == 405:
        return []  # refused before the view reads any input
    urls = [fill(route, world, (name, value)) for name in route_params(route)
            for value in HOSTILE_PATH]  # fmt: skip
    urls += [f"{base}?{name}={value}" for name in query_parameters() for value in HOSTILE]
    wrong = []
    for url in urls:
        response = call(url, headers=headers, **kwargs)
        status, kind = response.status_code, response.get("Content-Type", "").split(";")[0]
        if status >= 500:
            wrong.append(f"{method} {url[:120]} -> {status}")
        elif route.startswith("api/") and response.content and kind != "application/json":
            wrong.append(f"{method} {url[:120]} -> {status} {kind}, not JSON")  # a body
    return wrong


@pytest.mark.parametrize("route", [r for r, _ in ROUTES], ids=[p.name or r for r, p in ROUTES])
@pytest.mark.parametrize("method", ["GET", "POST", "PUT"])
def test_no_view_answers_hostile_input_with_a_server_error(client, world, route, method):
    if route.startswith("accounts/logout") and method == "POST":
        pytest.skip("signing out would make the rest of the sweep anonymous")
    assert problems(client, world, route, method) == []


UI_NUL = ["/?query=%00", "/projects/{slug}/issues/?query=%00",
          "/projects/{slug}/issues/{pk}/events/%00/json/"]  # fmt: skip
API_NUL = [
    ("GET", "/api/0/projects/bugtrack/{slug}/issues/?query=%00"),
    ("GET", "/api/0/projects/bugtrack/{slug}/issues/?environment=%00"),
    ("GET", "/api/0/projects/bugtrack/{slug}/issues/?query=release:a%00b"),
    ("GET", "/api/0/projects/bugtrack/a%00b/issues/"),
    ("GET", "/api/0/projects/bugtrack/{slug}/events/%00/"),
    ("PUT", "/api/0/projects/bugtrack/{slug}/issues/?query=%00"),
]


@pytest.mark.parametrize("url", UI_NUL)
def test_a_nul_in_the_ui_is_a_bad_request(client, world, url):
    response = client.get(url.format(**world))
    assert response.status_code == 400


@pytest.mark.parametrize(("method", "url"), API_NUL)
def test_a_nul_in_the_api_is_a_json_bad_request(client, world, method, url):
    call = getattr(client, method.lower())
    kwargs = {"content_type": "application/json", "data": '{"status": "resolved"}'}
    response = call(
        url.format(**world), headers=auth(world["api_token"]), **(kwargs if method == "PUT" else {})
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()
    assert not Issue.objects.exclude(status="unresolved").exists()


def test_the_sweep_sees_every_app_and_the_parameters_it_reads():
    names = {p.name for _, p in ROUTES}
    assert {"list", "event_json", "project_issues", "project_event", "live"} <= names
    assert {"query", "environment", "event", "statsPeriod", "id"} <= set(query_parameters())
