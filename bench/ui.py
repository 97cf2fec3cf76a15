"""UI benchmark: server time of the issue list and issue page on a big demo database.

Runs Django in this process (DEBUG off) against a database filled by
`bench/make_demodata.py --issues 10000 --events 1000000`, signs in a plain member with the test
client and times each page `requests` times after a short warm-up. Server time here is the
full Django request/response cycle (middleware, queries, template rendering) without the
network and without a browser.
"""

import os
import statistics
import time
from typing import Any
from urllib.parse import urlencode

SEARCH_PARAM = os.environ.get("BENCH_UI_SEARCH_PARAM", "query")


def _setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # no access-log line per timed request
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bugtrack.settings")
    import django
    from django.core.management import call_command

    django.setup()
    # DEBUG off serves static files through the manifest, which collectstatic writes.
    call_command("collectstatic", "--noinput", verbosity=0)


def _percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def time_page(client: Any, url: str, requests: int, warmup: int = 3) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    queries = len(captured)  # now: the log it reads is reset by the next request
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
    return {
        "url": url,
        "requests": requests,
        "median_ms": round(statistics.median(samples), 1),
        "p95_ms": round(_percentile(samples, 95), 1),
        "max_ms": round(max(samples), 1),
        "queries": queries,
        "bytes": len(response.content),
    }


def ui_benchmark(database_url: str, project_slug: str, requests: int) -> dict[str, Any]:
    _setup_django(database_url)
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from bench import report
    from events.models import Event
    from issues.models import Issue, IssueTagValue
    from projects.models import Project, Role
    from projects.services import add_member

    project = Project.objects.get(slug=project_slug)
    user, _ = get_user_model().objects.get_or_create(username="bench-ui")
    add_member(project, user, Role.MEMBER)
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(user)

    biggest = Issue.objects.filter(project=project).order_by("-event_count").first()
    typical = Issue.objects.filter(project=project).order_by("-last_seen").first()
    tag = IssueTagValue.objects.filter(issue=biggest, key="browser").order_by("count").first()
    word = biggest.title.split(":")[-1].split()[0] if biggest.title else "error"
    listing = reverse("issues:list", args=[project.slug])
    pages = {
        "issue list (default)": listing,
        f"issue list (search {word!r})": f"{listing}?" + urlencode({SEARCH_PARAM: word}),
        f"issue list (tag browser:{tag.value})": f"{listing}?"
        + urlencode({SEARCH_PARAM: f'browser:"{tag.value}"'})  # values may hold spaces
        if tag
        else listing,
        f"issue page ({biggest.event_count} events)": reverse(
            "issues:detail", args=[project.slug, biggest.pk]
        ),
        "issue page (most recent issue)": reverse("issues:detail", args=[project.slug, typical.pk]),
        # The environment choice reads the issue's stored events instead of its aggregates.
        f"issue page ({biggest.event_count} events, production)": reverse(
            "issues:detail", args=[project.slug, biggest.pk]
        )
        + "?environment=production",
        "issue list (production, sort by users)": f"{listing}?environment=production&sort=users",
    }
    timings = {name: time_page(client, url, requests) for name, url in pages.items()}
    result = {
        "kind": "ui",
        "name": "ui-postgresql" if "postgres" in database_url else "ui-sqlite",
        "machine": report.machine(),
        "commit": report.commit(),
        "command": report.command_line(),
        "data": {
            "issues": Issue.objects.filter(project=project).count(),
            "events": Event.objects.filter(project=project).count(),
        },
        "pages": timings,
        "ok": all(t["p95_ms"] < 150 for t in timings.values()),
        "problems": [
            f"{name}: p95 {t['p95_ms']} ms" for name, t in timings.items() if t["p95_ms"] >= 150
        ],  # fmt: skip
    }
    print(
        report.table(
            [
                (name, f"median {t['median_ms']} ms, p95 {t['p95_ms']} ms, {t['queries']} queries")
                for name, t in timings.items()
            ]
        )  # fmt: skip
    )
    return result
