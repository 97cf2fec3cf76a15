"""The project list's numbers: unresolved issues, events in the last 24 hours, a sparkline."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from issues.models import IssueStatus
from issues.project_overview import project_rows
from projects.models import Membership
from projects.services import create_project
from tests.issue_factories import make_bucket, make_issue


def busy_project(name: str, owner):
    """Two unresolved issues and one resolved; 3 + 4 events within 24 h, 100 two days ago."""
    project = create_project(name, admins=[owner])
    first, second = make_issue(project), make_issue(project)
    resolved = make_issue(project, status=IssueStatus.RESOLVED)
    make_bucket(first, hours_ago=1, count=3)
    make_bucket(second, hours_ago=5, count=4)
    make_bucket(resolved, hours_ago=48, count=100)
    return project


def row_of(body: str, name: str) -> str:
    return next(r for r in re.findall(r"<tr>.*?</tr>", body, re.S) if name in r)


def test_each_project_shows_unresolved_issues_events_of_24h_and_a_sparkline(client, owner):
    busy_project("Busy", owner)
    create_project("Quiet", admins=[owner])
    client.force_login(owner)
    body = client.get(reverse("issues:project_list")).content.decode()
    busy = row_of(body, "Busy")
    numbers = re.findall(r'<td class="num">(?:<a [^>]*>)?(\d+)', busy)
    assert numbers == ["2", "7"]
    assert 'class="chart spark"' in busy and 'aria-label="7 events from' in busy
    assert busy.count('class="bar"') == 2  # one bar per busy hour
    quiet = row_of(body, "Quiet")
    assert re.findall(r'<td class="num">(?:<a [^>]*>)?(\d+)', quiet) == ["0", "0"]
    assert 'aria-label="0 events' in quiet


def test_rows_count_only_their_own_projects_issues(owner):
    busy_project("Busy", owner)
    other = busy_project("Other", owner)
    make_issue(other)
    rows = {r.membership.project.name: r for r in project_rows(
        list(Membership.objects.filter(user=owner).select_related("project"))
    )}  # fmt: skip
    assert (rows["Busy"].unresolved, rows["Busy"].events_24h) == (2, 7)
    assert (rows["Other"].unresolved, rows["Other"].events_24h) == (3, 7)


def test_query_count_is_the_same_for_one_and_five_busy_projects(client, owner):
    busy_project("Project 0", owner)
    client.force_login(owner)
    url = reverse("issues:project_list")
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for i in range(1, 5):
        busy_project(f"Project {i}", owner)
    with CaptureQueriesContext(connection) as five:
        body = client.get(url).content.decode()
    assert body.count('class="chart spark"') == 5
    assert len(five) == len(one), [q["sql"] for q in five.captured_queries]
